"""Group study sessions (REST bodies and the `session:announced` event)."""

from __future__ import annotations

from typing import Any

from domain.group_sessions import GroupSession
from wire.times import iso


def session_payload(session: GroupSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "groupId": session.group_id,
        "title": session.title,
        "description": session.description,
        "location": session.location,
        "scheduledTime": iso(session.scheduled_time),
        "durationMinutes": session.duration_minutes,
        "endTime": iso(session.end_time),
        "status": session.status,
        "createdBy": {"id": session.created_by, "name": session.created_by_name},
        "attendees": {
            "going": session.going,
            "maybe": session.maybe,
            "notGoing": session.not_going,
        },
        "myRsvp": session.my_rsvp,
        "createdAt": iso(session.created_at),
        "updatedAt": iso(session.updated_at),
    }
