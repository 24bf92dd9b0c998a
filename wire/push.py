"""The JSON inside a push (encrypted for Web Push; the data of an FCM/APNs message)."""

from __future__ import annotations

from typing import Any

from domain.push import PushNotice


def group_url(group_id: int | None) -> str:
    """Where a click on the notification leads: the browser client opens that group."""
    return "/" if group_id is None else f"/?group={group_id}"


def push_payload(notice: PushNotice) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": notice.kind,
        "title": notice.title,
        "body": notice.body,
        "url": group_url(notice.group_id),
    }
    if notice.group_id is not None:
        payload["groupId"] = notice.group_id
    if notice.message_id is not None:
        payload["messageId"] = notice.message_id
    return payload
