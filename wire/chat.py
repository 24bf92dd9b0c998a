"""Chat messages and reactions (REST bodies, socket acks and events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.chat import Message, Reaction
from domain.threads import ReplyRef
from domain.uploads import MessageImage
from wire.times import iso


def reactions_payload(reactions: Iterable[Reaction]) -> list[dict[str, Any]]:
    return [{"emoji": r.emoji, "count": r.count, "userIds": list(r.user_ids)} for r in reactions]


def message_payload(message: Message) -> dict[str, Any]:
    payload = {
        "id": message.id,
        "groupId": message.group_id,
        "userId": message.user_id,
        "userName": message.user_name,
        "content": message.content,
        "messageType": message.message_type,
        "imageUrl": message.image_url,
        "clientId": message.client_id,
        "timestamp": iso(message.created_at),
        "editedAt": iso(message.edited_at),
        "reactions": reactions_payload(message.reactions),
        "replyTo": reply_payload(message.reply_to),
        "mentions": list(message.mentions),
        "image": image_payload(message.image),
    }
    if message.hidden_by_block:  # only in the blocker's own history (issue 17)
        payload["hiddenByBlock"] = True
    return payload


def reply_payload(reply: ReplyRef | None) -> dict[str, Any] | None:
    if reply is None:
        return None
    return {
        "id": reply.id,
        "userId": reply.user_id,
        "userName": reply.user_name,
        "excerpt": reply.excerpt,
        "deleted": reply.deleted,
    }


def image_payload(image: MessageImage | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "url": image.url,
        "thumbnailUrl": image.thumbnail_url,
        "width": image.width,
        "height": image.height,
    }
