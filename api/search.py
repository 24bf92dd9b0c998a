"""Message search over REST: GET /api/chat/search (docs/chat.md "Search")."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.responses import ChatMessageOut
from api.routing import Routes, current_user, ok
from api.schemas import MAX_ID, MAX_PAGE, CamelOut, SingleLine, Success
from wire.chat import message_payload
from wire.search import highlight
from wiring.keys import SEARCH

routes = Routes("chat", errors=(403, 404, 429), verified_email=True)

MAX_QUERY_CHARS = 200


class MessageSearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS, strip_whitespace=True),
        SingleLine,
    ]
    group_id: int | None = Field(None, alias="groupId", ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    before: int | None = Field(None, ge=1, le=MAX_ID)


class MessageSearchResultOut(CamelOut):
    message: ChatMessageOut
    group_id: int
    group_title: str
    highlight: str = Field(description="An excerpt as HTML: escaped text, matches in <mark>")


class MessageSearchOut(Success):
    results: list[MessageSearchResultOut]
    has_more: bool


@routes.get(
    "/api/chat/search",
    response=MessageSearchOut,
    summary="Search the messages of your groups (newest first; word prefixes match)",
)
async def search_messages(request: web.Request, query: MessageSearchQuery) -> web.Response:
    hits, has_more, terms = await request.app[SEARCH].search(
        current_user(request).id, query.q, query.group_id, query.before, query.limit
    )
    results = [
        {
            "message": message_payload(hit.message),
            "groupId": hit.message.group_id,
            "groupTitle": hit.group_title,
            "highlight": highlight(hit.message.content, terms),
        }
        for hit in hits
    ]
    return ok(results=results, hasMore=has_more)
