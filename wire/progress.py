"""Luminary's JSON shapes (snake_case), shared by the REST routes and the post:new event."""

from __future__ import annotations

from typing import Any

from domain.progress_records import (
    Attempt,
    AttemptView,
    Constellation,
    ConstellationView,
    FocusSession,
    Person,
    Post,
    PostView,
    SessionView,
    UserProgress,
)
from wire.times import iso_seconds


def person_json(person: Person) -> dict[str, Any]:
    return {"id": person.id, "display_name": person.display_name}


def constellation_simple(item: Constellation) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "weight": item.weight}


def attempt_simple(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "user_id": attempt.user_id,
        "constellation_id": attempt.constellation_id,
        "stars_completed": attempt.stars_completed,
        "is_completed": attempt.completed_at is not None,
        "completed_at": iso_seconds(attempt.completed_at),
    }


def session_simple(session: FocusSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "constellation_attempt_id": session.constellation_attempt_id,
        "is_completed": session.status == "completed",
        "minutes": session.minutes,
        "status": session.status,
        "completed_at": iso_seconds(session.completed_at),
        "created_at": iso_seconds(session.created_at),
    }


def post_simple(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "post_type": post.post_type,
        "message": post.message,
        "study_duration": post.study_duration,
        "created_at": iso_seconds(post.created_at),
    }


def constellation_full(view: ConstellationView) -> dict[str, Any]:
    return constellation_simple(view.constellation) | {
        "created_by": view.constellation.created_by,
        "user_attempts": [attempt_simple(a) for a in view.attempts],
        "posts": [post_simple(p) for p in view.posts],
    }


def attempt_full(view: AttemptView) -> dict[str, Any]:
    return attempt_simple(view.attempt) | {
        "user": person_json(view.user),
        "constellation": constellation_simple(view.constellation),
        "sessions": [session_simple(s) for s in view.sessions],
    }


def session_full(view: SessionView) -> dict[str, Any]:
    return session_simple(view.session) | {
        "user": person_json(view.user),
        "constellation_attempt": attempt_simple(view.attempt),
    }


def post_full(view: PostView) -> dict[str, Any]:
    return {
        "id": view.post.id,
        "user_id": view.post.user_id,
        "constellation_id": view.post.constellation_id,
        "post_type": view.post.post_type,
        "message": view.post.message,
        "study_duration": view.post.study_duration,
        "created_at": iso_seconds(view.post.created_at),
        "user": person_json(view.user),
        "constellation": constellation_simple(view.constellation),
    }


def user_full(view: UserProgress) -> dict[str, Any]:
    current = view.current_attempt
    return {
        "id": view.person.id,
        "display_name": view.person.display_name,
        "current_attempt_id": view.current_attempt_id,
        "total_minutes": view.total_minutes,
        "current_attempt": attempt_simple(current) if current is not None else None,
        "constellation_attempts": [attempt_simple(a) for a in view.attempts],
        "sessions": [session_simple(s) for s in view.sessions],
        "posts": [post_simple(p) for p in view.posts],
    }
