"""Typed domain events. Services publish them only after their unit of work has committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """An event for connected clients: `name` is the Socket.IO event, `room` its audience."""

    name: str
    room: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ProfileChanged:
    """A profile's matching inputs changed (other processes refresh their index)."""

    user_id: int


@dataclass(frozen=True)
class MembershipChanged:
    """A user became, or stopped being, an active member of a group: move their sockets."""

    user_id: int
    group_id: int
    active: bool


def group_room(group_id: int) -> str:
    return f"group:{group_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"
