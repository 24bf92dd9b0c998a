"""Luminary's user side: UserFull views, the public directory, minute totals (and their repair),
completed constellations, and the progress summary with its streak in the user's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import NotFound
from domain.ports import UnitOfWorkFactory
from domain.progress_records import (
    Clock,
    ConstellationView,
    Person,
    UserProgress,
    require_person,
    utc_now,
)

NESTED_LIMIT = 50  # newest items nested in a UserFull; the full lists have their own routes


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


class StatsService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock = utc_now) -> None:
        self._uow = uow
        self._clock = clock

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
            person = await require_person(uow, user_id)
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
            completed = await uow.focus_sessions.completed_times(user_id)
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


def streak_length(days: set[date], today: date) -> int:
    """Consecutive study days ending today, or ending yesterday while today is still open."""
    day = today if today in days else today - timedelta(days=1)
    length = 0
    while day in days:
        length += 1
        day -= timedelta(days=1)
    return length
