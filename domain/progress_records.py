"""Luminary's records (constellations, attempts, focus sessions, posts and the views that join
them) and the lookups every Luminary service shares. Services: domain/progress.py (constellations,
attempts, focus sessions), domain/posts.py (posts and the feed), domain/stats.py (user totals, the
directory and the progress summary)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.errors import NotFound
from domain.ports import UnitOfWork

MAX_MINUTES = 600
POST_TYPES = ("completion", "progress", "streak", "milestone")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Person:
    id: int
    display_name: str


@dataclass(frozen=True)
class Constellation:
    id: int
    name: str
    weight: int
    created_by: int | None


@dataclass(frozen=True)
class Attempt:
    id: int
    user_id: int
    constellation_id: int
    stars_completed: int
    completed_at: datetime | None


@dataclass(frozen=True)
class FocusSession:
    id: int
    user_id: int
    constellation_attempt_id: int
    minutes: int
    status: str  # pending | completed | cancelled
    completed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Post:
    id: int
    user_id: int
    constellation_id: int
    post_type: str
    message: str | None
    study_duration: int | None
    created_at: datetime


@dataclass(frozen=True)
class ConstellationView:
    constellation: Constellation
    attempts: list[Attempt]  # one user's attempts of it (the caller's, or the viewed user's)
    posts: list[Post]


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    user: Person
    constellation: Constellation
    sessions: list[FocusSession]  # empty for other users' attempts: sessions are private


@dataclass(frozen=True)
class SessionView:
    session: FocusSession
    user: Person
    attempt: Attempt


@dataclass(frozen=True)
class PostView:
    post: Post
    user: Person
    constellation: Constellation


@dataclass(frozen=True)
class UserProgress:
    """Luminary's UserFull. `sessions` is filled for the caller only."""

    person: Person
    current_attempt_id: int | None
    total_minutes: int
    current_attempt: Attempt | None
    attempts: list[Attempt]
    sessions: list[FocusSession]
    posts: list[Post]


async def require_person(uow: UnitOfWork, user_id: int) -> Person:
    row = await uow.progress.user_progress_row(user_id)
    if row is None:
        raise NotFound("User not found!")
    return row.person


async def require_constellation(
    uow: UnitOfWork, constellation_id: int, lock: bool = False
) -> Constellation:
    item = await uow.progress.constellation(constellation_id, lock=lock)
    if item is None:
        raise NotFound("Constellation not found!")
    return item
