"""Repositories by unit-of-work attribute name. Each takes the unit of work's connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.repositories.chat import SqlChatRepository
from storage.repositories.focus_sessions import SqlFocusSessionRepository
from storage.repositories.group_sessions import SqlGroupSessionRepository
from storage.repositories.groups import SqlGroupRepository
from storage.repositories.matching import SqlMatchingRepository
from storage.repositories.notifications import SqlNotificationRepository
from storage.repositories.posts import SqlPostRepository
from storage.repositories.progress import SqlProgressRepository
from storage.repositories.revocations import SqlRevocationRepository
from storage.repositories.users import SqlUserRepository

REPOSITORIES: dict[str, Callable[[Any], Any]] = {
    "users": SqlUserRepository,
    "notifications": SqlNotificationRepository,
    "matching": SqlMatchingRepository,
    "groups": SqlGroupRepository,
    "chat": SqlChatRepository,
    "group_sessions": SqlGroupSessionRepository,
    "progress": SqlProgressRepository,
    "focus_sessions": SqlFocusSessionRepository,
    "posts": SqlPostRepository,
    "revocations": SqlRevocationRepository,
}
