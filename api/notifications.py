"""Notifications for the caller (the StudySync mobile client polls these)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from api.responses import NotificationOut
from api.routing import Routes, current_user, ok, path_id
from api.schemas import MAX_ID, MAX_PAGE, Success
from wire.notifications import notification_payload
from wiring.keys import NOTIFICATIONS

routes = Routes("notifications")


class NotificationsOut(Success):
    notifications: list[NotificationOut]
    unread_count: int


class ReadOut(Success):
    id: int
    read: Literal[True]


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)
    before: int | None = Field(None, ge=1, le=MAX_ID)


@routes.get("/api/notifications", response=NotificationsOut, summary="The caller's notifications")
async def list_notifications(request: web.Request, query: NotificationQuery) -> web.Response:
    items, unread = await request.app[NOTIFICATIONS].list_for(
        current_user(request).id, query.before, query.limit
    )
    return ok(notifications=[notification_payload(item) for item in items], unreadCount=unread)


@routes.post(
    "/api/notifications/{notification_id}/read",
    response=ReadOut,
    summary="Mark a notification read",
)
async def mark_read(request: web.Request) -> web.Response:
    notification_id = path_id(request, "notification_id")
    await request.app[NOTIFICATIONS].mark_read(current_user(request).id, notification_id)
    return ok(id=notification_id, read=True)
