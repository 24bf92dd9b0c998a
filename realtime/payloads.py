"""Client→server payloads of the /chat namespace (api-realtime.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic.alias_generators import to_camel

from domain.models import MAX_ID
from domain.threads import MAX_MENTIONS
from wire.text import ClientId, Content, Emoji, ImageUrl

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Payload(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, strict=True
    )


class SendPayload(Payload):
    group_id: Id
    content: Content = ""
    message_type: Literal["text", "image", "announcement"] = "text"
    image_url: ImageUrl | None = None
    client_id: ClientId | None = None
    reply_to: Id | None = None
    mentions: Annotated[list[Id], Field(max_length=MAX_MENTIONS)] = []
    upload_id: Id | None = None


class ReactPayload(Payload):
    message_id: Id
    emoji: Emoji


class EditPayload(Payload):
    message_id: Id
    content: Content


class MessageRef(Payload):
    message_id: Id


class SyncPayload(Payload):
    group_id: Id
    after: Annotated[StrictInt, Field(ge=0, le=MAX_ID)] | None = None
    limit: Annotated[StrictInt, Field(ge=1, le=200)] = 50


class ReadPayload(Payload):
    group_id: Id
    message_id: Id


class TypingPayload(Payload):
    group_id: Id
    is_typing: StrictBool


class GroupRef(Payload):
    group_id: Id
