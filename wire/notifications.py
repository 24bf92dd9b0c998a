"""Notifications (REST `/api/notifications` and `notification:new`)."""

from __future__ import annotations

from typing import Any

from domain.notifications import Notification


def notification_payload(item: Notification) -> dict[str, Any]:
    """The origin's fields (`title`, `message`, `data`) plus the second release's flat ones
    (`text`, `groupId`, `messageId`, `actor`), so a client can use either."""
    return {
        "id": item.id,
        "type": item.type,
        "title": item.title,
        "message": item.message,
        "text": item.message,
        "data": item.data,
        "groupId": item.data.get("groupId"),
        "messageId": item.data.get("messageId"),
        "actor": item.data.get("actor"),
        "read": item.read,
        "createdAt": item.created_at.isoformat().replace("+00:00", "Z"),
    }
