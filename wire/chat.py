"""Chat messages and reactions (REST bodies, socket acks and events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.chat import Message, Reaction
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
    }
    if message.hidden_by_block:  # only in the blocker's own history (issue 17)
        payload["hiddenByBlock"] = True
    return payload
