"""Luminary progress: constellations, attempts (+1 star, capped), focus sessions whose minutes
roll up exactly into the user's total, completion posts, and the progress summary (streaks in the
user's time zone). Posts and the feed live in domain/posts.py.

Every write that touches a user's progress first locks that user's row (`uow.progress.lock_user`),
so minute totals, the current-attempt pointer and session states change one transaction at a
time per user, and all writers take their locks in the same order (user, then the rest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import Conflict, Forbidden, NotFound
from domain.events import Event, group_room
from domain.ports import Publisher, UnitOfWorkFactory

MAX_MINUTES = 600
POST_TYPES = ("completion", "progress", "streak", "milestone")
COMPLETION_MESSAGE = "I just finished this Constellation!"
NESTED_LIMIT = 50  # newest items nested in a UserFull; the full lists have their own routes
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


@dataclass(frozen=True)
class Summary:
    timezone: str
    streak: int
    studied_today: bool
    minutes_today: int
    minutes_this_week: int
    total_minutes: int
    stars: int
    completed_constellations: int
    completed_sessions: int


# --- Luminary's JSON shapes (snake_case), shared by the REST routes and the post:new event ---


def iso_seconds(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


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


def post_events(view: PostView, group_ids: list[int]) -> list[Event]:
    payload = {"post": post_full(view)}
    return [Event("post:new", group_room(group_id), payload) for group_id in group_ids]


# --- the service ---


class ProgressService:
    def __init__(
        self, uow: UnitOfWorkFactory, publisher: Publisher, clock: Clock = utc_now
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._clock = clock
        from domain.posts import PostService  # posts import this module's shapes

        self.posts = PostService(uow, publisher, clock)

    # constellations

    async def create_constellation(self, caller: int, name: str, weight: int) -> ConstellationView:
        async with self._uow() as uow:
            constellation = await uow.progress.add_constellation(
                name, weight, caller, self._clock()
            )
            await uow.commit()
        return ConstellationView(constellation, [], [])

    async def constellations(
        self, caller: int, after: int | None, limit: int
    ) -> list[ConstellationView]:
        async with self._uow() as uow:
            items = await uow.progress.constellation_page(after, limit)
            return await uow.progress.constellation_views(items, caller)

    async def constellation(self, caller: int, constellation_id: int) -> ConstellationView:
        async with self._uow() as uow:
            item = await self._constellation(uow, constellation_id)
            return (await uow.progress.constellation_views([item], caller))[0]

    async def update_constellation(
        self, caller: int, constellation_id: int, name: str | None, weight: int | None
    ) -> ConstellationView:
        async with self._uow() as uow:
            item = await self._own_constellation(uow, caller, constellation_id, lock=True)
            reweighed = weight is not None and weight != item.weight
            if reweighed and await uow.progress.constellation_in_use(constellation_id):
                raise Conflict(
                    "The weight of a constellation with attempts cannot change",
                    {"weight": "constellation in use"},
                )
            await uow.progress.update_constellation(constellation_id, name, weight)
            item = await self._constellation(uow, constellation_id)
            view = (await uow.progress.constellation_views([item], caller))[0]
            await uow.commit()
        return view

    async def delete_constellation(self, caller: int, constellation_id: int) -> None:
        async with self._uow() as uow:
            await self._own_constellation(uow, caller, constellation_id, lock=True)
            if not await uow.progress.delete_constellation(constellation_id):
                raise Conflict(
                    "This constellation has attempts or posts and cannot be deleted",
                    {"constellation_id": "in use"},
                )
            await uow.commit()

    # attempts

    async def start_attempt(self, caller: int, user_id: int, constellation_id: int) -> AttemptView:
        self._require_self(caller, user_id)
        async with self._uow() as uow:
            await uow.progress.lock_user(caller)
            await self._constellation(uow, constellation_id)
            attempt_id = await uow.progress.add_attempt(caller, constellation_id, self._clock())
            await uow.progress.set_current_attempt(caller, attempt_id)
            view = await self._attempt_view(uow, caller, attempt_id)
            await uow.commit()
        return view

    async def my_attempts(self, caller: int, after: int | None, limit: int) -> list[AttemptView]:
        return await self.attempts_of(caller, caller, after, limit)

    async def attempts_of(
        self, caller: int, user_id: int, after: int | None, limit: int
    ) -> list[AttemptView]:
        async with self._uow() as uow:
            await self._person(uow, user_id)
            return await uow.progress.attempt_views_of(user_id, after, limit, caller)

    async def attempt(self, caller: int, attempt_id: int) -> AttemptView:
        async with self._uow() as uow:
            return await self._attempt_view(uow, caller, attempt_id)

    async def current_attempt(self, caller: int, user_id: int) -> AttemptView:
        async with self._uow() as uow:
            person = await uow.progress.user_progress_row(user_id)
            if person is None:
                raise NotFound("User not found!")
            if person.current_attempt_id is None:
                raise NotFound("No current attempt found!")
            return await self._attempt_view(uow, caller, person.current_attempt_id)

    async def add_star(self, caller: int, attempt_id: int) -> AttemptView:
        """+1 star, never past the weight; reaching it completes the attempt."""
        return (await self._advance(caller, attempt_id, to_weight=False))[0]

    async def complete_attempt(self, caller: int, attempt_id: int) -> tuple[AttemptView, bool]:
        """Stars := weight. Returns the attempt and whether the user's current pointer changed."""
        return await self._advance(caller, attempt_id, to_weight=True)

    async def _advance(
        self, caller: int, attempt_id: int, *, to_weight: bool
    ) -> tuple[AttemptView, bool]:
        events: list[Event] = []
        pointer_cleared = False
        async with self._uow() as uow:
            attempt, constellation = await self._own_attempt(uow, caller, attempt_id)
            if attempt.completed_at is None:
                stars = constellation.weight if to_weight else attempt.stars_completed + 1
                stars = min(stars, constellation.weight)
                done = stars >= constellation.weight
                now = self._clock()
                await uow.progress.set_stars(attempt_id, stars, now if done else None)
                if done:
                    pointer_cleared = await uow.progress.clear_current_attempt(caller, attempt_id)
                    minutes = await uow.progress.completed_minutes_of_attempt(attempt_id)
                    post_id = await uow.progress.add_post(
                        caller,
                        constellation.id,
                        "completion",
                        COMPLETION_MESSAGE,
                        minutes,
                        now,
                    )
                    post = (await uow.progress.post_views([post_id]))[0]
                    events = post_events(post, await uow.groups.active_group_ids(caller))
            view = await self._attempt_view(uow, caller, attempt_id)
            await uow.commit()
        await self._publisher.publish(*events)
        return view, pointer_cleared

    async def delete_attempt(self, caller: int, attempt_id: int) -> None:
        """Its sessions go with it; their completed minutes leave the user's total."""
        async with self._uow() as uow:
            await self._own_attempt(uow, caller, attempt_id)
            minutes = await uow.progress.completed_minutes_of_attempt(attempt_id)
            await uow.progress.clear_current_attempt(caller, attempt_id)
            await uow.progress.delete_attempt(attempt_id)
            await uow.progress.add_minutes(caller, -minutes)
            await uow.commit()

    # focus sessions

    async def create_session(
        self, caller: int, user_id: int | None, attempt_id: int, minutes: int
    ) -> SessionView:
        self._require_self(caller, caller if user_id is None else user_id)
        async with self._uow() as uow:
            await self._own_attempt(uow, caller, attempt_id)
            session_id = await uow.progress.add_session(caller, attempt_id, minutes, self._clock())
            view = (await uow.progress.session_views([session_id]))[0]
            await uow.commit()
        return view

    async def my_sessions(self, caller: int, after: int | None, limit: int) -> list[SessionView]:
        async with self._uow() as uow:
            return await uow.progress.session_views_of(caller, None, after, limit)

    async def sessions_of_attempt(
        self, caller: int, attempt_id: int, after: int | None, limit: int
    ) -> list[SessionView]:
        async with self._uow() as uow:
            attempt = await uow.progress.attempt(attempt_id)
            if attempt is None:
                raise NotFound("Constellation Attempt not found!")
            if attempt.user_id != caller:
                raise Forbidden("Only the owner can see an attempt's sessions")
            return await uow.progress.session_views_of(caller, attempt_id, after, limit)

    async def session(self, caller: int, session_id: int) -> SessionView:
        async with self._uow() as uow:
            views = await uow.progress.session_views([session_id])
        if not views or views[0].session.user_id != caller:
            raise NotFound("Session not found!")  # other users' sessions are private
        return views[0]

    async def complete_session(self, caller: int, session_id: int) -> SessionView:
        """pending → completed adds the minutes once; repeating it changes nothing."""
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            if session.status == "cancelled":
                raise Conflict("A cancelled session cannot be completed", {"status": "cancelled"})
            if await uow.progress.transition(session_id, "pending", "completed", self._clock()):
                await uow.progress.add_minutes(caller, session.minutes)
            view = (await uow.progress.session_views([session_id]))[0]
            await uow.commit()
        return view

    async def cancel_session(self, caller: int, session_id: int) -> SessionView:
        """pending or completed → cancelled; a completed session's minutes leave the total."""
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            if await uow.progress.transition(session_id, "completed", "cancelled", None):
                await uow.progress.add_minutes(caller, -session.minutes)
            else:
                await uow.progress.transition(session_id, "pending", "cancelled", None)
            view = (await uow.progress.session_views([session_id]))[0]
            await uow.commit()
        return view

    async def delete_session(self, caller: int, session_id: int) -> None:
        async with self._uow() as uow:
            session = await self._own_session(uow, caller, session_id)
            await uow.progress.delete_session(session_id)
            if session.status == "completed":
                await uow.progress.add_minutes(caller, -session.minutes)
            await uow.commit()

    # users

    async def user(self, caller: int, user_id: int) -> UserProgress:
        """UserFull with the newest NESTED_LIMIT attempts and posts (and sessions, own only)."""
        async with self._uow() as uow:
            view = await uow.progress.user_view(user_id, caller == user_id, NESTED_LIMIT)
        if view is None:
            raise NotFound("User not found!")
        return view

    async def users(self, after: int | None, limit: int) -> list[UserProgress]:
        """The public directory: nested lists stay empty (each has its own per-user route)."""
        async with self._uow() as uow:
            return await uow.progress.user_directory(after, limit)

    async def total_minutes(self, user_id: int) -> tuple[Person, int]:
        async with self._uow() as uow:
            row = await uow.progress.user_progress_row(user_id)
        if row is None:
            raise NotFound("User not found!")
        return row.person, row.total_minutes

    async def completed_constellations(
        self, user_id: int
    ) -> tuple[Person, list[ConstellationView]]:
        async with self._uow() as uow:
            person = await self._person(uow, user_id)
            return person, await uow.progress.completed_constellation_views(user_id)

    async def sync_minutes(self) -> tuple[int, int]:
        """Recompute every stored total from the completed sessions: (checked, corrected)."""
        async with self._uow() as uow:
            checked, corrected = await uow.progress.recompute_totals()
            await uow.commit()
        return checked, corrected

    async def summary(self, user_id: int, timezone: str) -> Summary:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone, timezone = ZoneInfo("UTC"), "UTC"
        async with self._uow() as uow:
            row = await uow.progress.user_progress_row(user_id)
            if row is None:
                raise NotFound("User not found!")
            completed = await uow.progress.completed_session_times(user_id)
            stars, finished = await uow.progress.star_totals(user_id)
        today = self._clock().astimezone(zone).date()
        week_start = today - timedelta(days=today.weekday())
        per_day: dict[date, int] = {}
        for completed_at, minutes in completed:
            day = completed_at.astimezone(zone).date()
            per_day[day] = per_day.get(day, 0) + minutes
        return Summary(
            timezone=timezone,
            streak=streak_length(set(per_day), today),
            studied_today=today in per_day,
            minutes_today=per_day.get(today, 0),
            minutes_this_week=sum(m for day, m in per_day.items() if week_start <= day <= today),
            total_minutes=row.total_minutes,
            stars=stars,
            completed_constellations=finished,
            completed_sessions=len(completed),
        )

    # helpers

    @staticmethod
    def _require_self(caller: int, user_id: int) -> None:
        if user_id != caller:
            raise Forbidden("You can only do this for your own account", {"user_id": "not you"})

    @staticmethod
    async def _person(uow: Any, user_id: int) -> Person:
        row = await uow.progress.user_progress_row(user_id)
        if row is None:
            raise NotFound("User not found!")
        return row.person

    @staticmethod
    async def _constellation(uow: Any, constellation_id: int, lock: bool = False) -> Constellation:
        item = await uow.progress.constellation(constellation_id, lock=lock)
        if item is None:
            raise NotFound("Constellation not found!")
        return item

    async def _own_constellation(
        self, uow: Any, caller: int, constellation_id: int, lock: bool
    ) -> Constellation:
        item = await self._constellation(uow, constellation_id, lock=lock)
        if item.created_by != caller:
            raise Forbidden("Only the creator can change or delete this constellation")
        return item

    @staticmethod
    async def _own_attempt(uow: Any, caller: int, attempt_id: int) -> tuple[Attempt, Constellation]:
        """Locks the caller's row, then the attempt; refuses other users' attempts."""
        await uow.progress.lock_user(caller)
        attempt = await uow.progress.attempt(attempt_id, lock=True)
        if attempt is None:
            raise NotFound("Constellation Attempt not found!")
        if attempt.user_id != caller:
            raise Forbidden("This constellation attempt belongs to another user")
        constellation = await uow.progress.constellation(attempt.constellation_id)
        return attempt, constellation

    @staticmethod
    async def _own_session(uow: Any, caller: int, session_id: int) -> FocusSession:
        await uow.progress.lock_user(caller)
        session = await uow.progress.session(session_id, lock=True)
        if session is None or session.user_id != caller:
            raise NotFound("Session not found!")
        return session

    @staticmethod
    async def _attempt_view(uow: Any, caller: int, attempt_id: int) -> AttemptView:
        views = await uow.progress.attempt_views([attempt_id], caller)
        if not views:
            raise NotFound("Constellation Attempt not found!")
        return views[0]


def streak_length(days: set[date], today: date) -> int:
    """Consecutive study days ending today, or ending yesterday while today is still open."""
    day = today if today in days else today - timedelta(days=1)
    length = 0
    while day in days:
        length += 1
        day -= timedelta(days=1)
    return length
