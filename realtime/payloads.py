"""Client→server payloads of the /chat namespace (api-realtime.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from pydantic.alias_generators import to_camel

from domain.models import MAX_ID

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Payload(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, strict=True
    )


class SendPayload(Payload):
    group_id: Id
    content: Annotated[str, StringConstraints(max_length=20000)] = ""
    message_type: Literal["text", "image", "announcement"] = "text"
    image_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ReactPayload(Payload):
    message_id: Id
    emoji: Annotated[str, StringConstraints(min_length=1, max_length=16)]


class EditPayload(Payload):
    message_id: Id
    content: Annotated[str, StringConstraints(max_length=20000)]


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
