"""Notifications: join requests, approvals and session announcements, per user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import NotFound
from domain.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class Notification:
    id: int
    user_id: int
    type: str
    title: str
    message: str
    data: dict[str, Any]
    read: bool
    created_at: datetime


@dataclass(frozen=True)
class NewNotification:
    type: str  # join_request | request_approved | request_rejected | session_announced | ...
    title: str
    message: str
    data: dict[str, Any]


class NotificationService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def list_for(
        self, user_id: int, before: int | None, limit: int
    ) -> tuple[list[Notification], int]:
        async with self._uow() as uow:
            items = await uow.notifications.list_for(user_id, before, limit)
            unread = await uow.notifications.unread_count(user_id)
        return items, unread

    async def mark_read(self, user_id: int, notification_id: int) -> None:
        async with self._uow() as uow:
            if not await uow.notifications.mark_read(user_id, notification_id):
                raise NotFound("Notification not found")
            await uow.commit()
