"""StudySync's shared answer shapes (camelCase): messages, groups, members, group sessions.

They describe the JSON the builders serve (domain/chat.py message_payload and its kin); the
OpenAPI document and tests/api/test_response_models.py read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.schemas import CamelOut, Success


class ReactionOut(CamelOut):
    emoji: str
    count: int
    user_ids: list[int]


class ReplyToOut(CamelOut):
    id: int | None
    user_id: int | None
    user_name: str | None
    excerpt: str | None
    deleted: bool


class MessageImageOut(CamelOut):
    url: str
    thumbnail_url: str
    width: int
    height: int


class ChatMessageOut(CamelOut):
    id: int
    group_id: int
    user_id: int
    user_name: str
    content: str
    message_type: Literal["text", "image", "announcement"]
    image_url: str | None
    client_id: str | None
    timestamp: datetime
    edited_at: datetime | None
    reactions: list[ReactionOut]
    reply_to: ReplyToOut | None
    mentions: list[int]
    image: MessageImageOut | None = Field(
        description="An uploaded image (the message was sent with uploadId), else null"
    )
    hidden_by_block: bool | None = None  # present (true) only when the viewer blocked the author


class MemberOut(CamelOut):
    id: int
    user_id: int
    name: str
    major: str
    role: str
    status: str
    joined_at: datetime


class GroupOut(CamelOut):
    id: int
    title: str
    subject: str
    description: str
    schedule: str
    location: str
    max_members: int
    current_members: int
    join_policy: Literal["open", "approval"]
    leader_id: int
    leader_name: str
    leader: str = Field(description="The leader's name again (the mobile client reads it)")
    created_at: datetime


class GroupDetailOut(GroupOut):
    """The caller's membership when they have one; the member list for active members."""

    role: str | None = None
    status: str | None = None
    joined_at: datetime | None = None
    members: list[MemberOut] | None = None


class MyGroupOut(GroupOut):
    role: str
    status: str
    joined_at: datetime
    unread_count: int
    last_message: ChatMessageOut | None


class CreatedBy(CamelOut):
    id: int
    name: str


class Attendees(CamelOut):
    going: int
    maybe: int
    not_going: int


class GroupSessionOut(CamelOut):
    id: int
    group_id: int
    title: str
    description: str
    location: str
    scheduled_time: datetime
    duration_minutes: int
    end_time: datetime
    status: Literal["scheduled", "cancelled"]
    created_by: CreatedBy
    attendees: Attendees
    my_rsvp: Literal["going", "maybe", "not_going"] | None
    created_at: datetime
    updated_at: datetime


class NotificationOut(CamelOut):
    id: int
    type: str
    title: str
    message: str
    text: str
    data: dict[str, Any]
    group_id: int | None
    message_id: int | None
    actor: dict[str, Any] | None
    read: bool
    created_at: datetime


class UploadOut(CamelOut):
    id: int
    url: str = Field(description="The image: an unguessable root-relative URL, no auth needed")
    thumbnail_url: str = Field(description="The thumbnail (fits in 320×320), same rules")
    content_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"]
    size: int = Field(description="Bytes of the stored (re-encoded, metadata-free) image")
    width: int
    height: int


class IdsOut(Success):
    group_id: int
    message_id: int
