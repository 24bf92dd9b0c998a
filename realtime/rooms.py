"""Socket.IO room names: the only place they are spelled. A socket is in its user's room while
connected, and in a group's room exactly while its user is an active member of the group."""

from __future__ import annotations

GROUP_ROOM_PREFIX = "group:"


def group_room(group_id: int) -> str:
    return f"{GROUP_ROOM_PREFIX}{group_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def is_group_room(room: str) -> bool:
    return room.startswith(GROUP_ROOM_PREFIX)


def group_id_of(room: str) -> int | None:
    """The group of a group room; None for any other room."""
    if not is_group_room(room):
        return None
    suffix = room.removeprefix(GROUP_ROOM_PREFIX)
    return int(suffix) if suffix.isdigit() else None
