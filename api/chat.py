"""Group chat over REST: the same rules and events as the Socket.IO namespace."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)

from api.responses import ChatMessageOut, IdsOut, ReactionOut
from api.routing import Routes, current_user, ok, path_id
from api.schemas import MAX_ID, MAX_PAGE, CamelIn, ClientId, Content, Emoji, ImageUrl, Success
from domain.chat import NewMessage
from domain.threads import MAX_MENTIONS
from wire.chat import message_payload, reactions_payload
from wiring.keys import CHAT, PINS

routes = Routes("chat", errors=(403, 404, 429), verified_email=True)


class HistoryOut(Success):
    messages: list[ChatMessageOut]
    has_more: bool


class ChatMessageAnswer(Success):
    message: ChatMessageOut


class ReactionsOut(IdsOut):
    reactions: list[ReactionOut]


class UnreadOut(Success):
    group_id: int
    unread: int


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)
    after: int | None = Field(None, ge=0, le=MAX_ID)
    before: int | None = Field(None, ge=1, le=MAX_ID)

    @model_validator(mode="after")
    def _one_cursor(self) -> HistoryQuery:
        if self.after is not None and self.before is not None:
            raise ValueError("use either after or before, not both")
        return self


class SendIn(CamelIn):
    content: Content = ""
    message_type: Literal["text", "image", "announcement"] = Field(
        "text", validation_alias=AliasChoices("messageType", "message_type")
    )
    image_url: ImageUrl | None = Field(None, validation_alias=AliasChoices("imageUrl", "image_url"))
    client_id: ClientId | None = Field(None, validation_alias=AliasChoices("clientId", "client_id"))
    reply_to: MessageId | None = None
    mentions: list[MessageId] = Field(default_factory=list, max_length=MAX_MENTIONS)
    upload_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = Field(
        None, validation_alias=AliasChoices("uploadId", "upload_id")
    )


MessageId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class ReactIn(CamelIn):
    emoji: Emoji


class EditIn(CamelIn):
    content: Content


class PinOut(IdsOut):
    pinned: bool


class PinsOut(Success):
    messages: list[ChatMessageOut]


class ReadIn(CamelIn):
    message_id: StrictInt = Field(ge=1)


@routes.get("/api/chat/{group_id}/messages", response=HistoryOut, summary="History by cursor")
async def history(request: web.Request, query: HistoryQuery) -> web.Response:
    messages, has_more = await request.app[CHAT].history(
        current_user(request).id,
        path_id(request, "group_id"),
        query.after,
        query.before,
        query.limit,
    )
    return ok(messages=[message_payload(m) for m in messages], hasMore=has_more)


async def _send(request: web.Request, body: SendIn) -> web.Response:
    new = NewMessage(
        path_id(request, "group_id"),
        body.content,
        body.message_type,
        body.image_url,
        body.client_id,
        body.reply_to,
        tuple(body.mentions),
        upload_id=body.upload_id,
    )
    message, created = await request.app[CHAT].send(current_user(request).id, new)
    return ok(201 if created else 200, message=message_payload(message))


routes.post(
    "/api/chat/{group_id}/send", response=ChatMessageAnswer, status=201, summary="Send a message"
)(_send)
routes.post(
    "/api/chat/{group_id}/message", response=ChatMessageAnswer, status=201, summary="Alias of /send"
)(_send)


@routes.post(
    "/api/chat/message/{message_id}/react", response=ReactionsOut, summary="Toggle a reaction"
)
async def react(request: web.Request, body: ReactIn) -> web.Response:
    message_id = path_id(request, "message_id")
    group_id, reactions = await request.app[CHAT].react(
        current_user(request).id, message_id, body.emoji
    )
    return ok(groupId=group_id, messageId=message_id, reactions=reactions_payload(reactions))


@routes.patch(
    "/api/chat/message/{message_id}", response=ChatMessageAnswer, summary="Edit your message"
)
async def edit(request: web.Request, body: EditIn) -> web.Response:
    message = await request.app[CHAT].edit(
        current_user(request).id, path_id(request, "message_id"), body.content
    )
    return ok(message=message_payload(message))


@routes.delete(
    "/api/chat/message/{message_id}", response=IdsOut, summary="Delete (yours, or any as leader)"
)
async def delete(request: web.Request) -> web.Response:
    message_id = path_id(request, "message_id")
    group_id = await request.app[CHAT].delete(current_user(request).id, message_id)
    return ok(groupId=group_id, messageId=message_id)


@routes.post("/api/chat/{group_id}/read", response=UnreadOut, summary="Move your read marker")
async def mark_read(request: web.Request, body: ReadIn) -> web.Response:
    group_id = path_id(request, "group_id")
    unread = await request.app[CHAT].mark_read(current_user(request).id, group_id, body.message_id)
    return ok(groupId=group_id, unread=unread)


async def _set_pinned(request: web.Request, pinned: bool) -> web.Response:
    message_id = path_id(request, "message_id")
    group_id = await request.app[PINS].set_pinned(current_user(request).id, message_id, pinned)
    return ok(groupId=group_id, messageId=message_id, pinned=pinned)


@routes.post("/api/chat/message/{message_id}/pin", response=PinOut, summary="Pin (leader)")
async def pin(request: web.Request) -> web.Response:
    return await _set_pinned(request, True)


@routes.delete("/api/chat/message/{message_id}/pin", response=PinOut, summary="Unpin (leader)")
async def unpin(request: web.Request) -> web.Response:
    return await _set_pinned(request, False)


@routes.get("/api/chat/{group_id}/pins", response=PinsOut, summary="Pinned messages")
async def pins(request: web.Request) -> web.Response:
    messages = await request.app[PINS].pins(current_user(request).id, path_id(request, "group_id"))
    return ok(messages=[message_payload(m) for m in messages])
