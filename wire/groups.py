"""Group members (REST member lists, `member:joined` and `member:requested`)."""

from __future__ import annotations

from typing import Any

from domain.groups import Member


def member_payload(member: Member) -> dict[str, Any]:
    return {
        "id": member.user_id,
        "userId": member.user_id,
        "name": member.name,
        "major": member.major,
        "role": member.role,
        "status": member.status,
        "joinedAt": member.joined_at.isoformat().replace("+00:00", "Z"),
    }
