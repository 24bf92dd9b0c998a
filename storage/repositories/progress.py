"""Luminary progress storage: users' minute totals and current-attempt pointers, constellations
and attempts (focus sessions and posts have their own repositories). Every list is loaded in a
fixed number of queries (joins and IN lists, never one query per row); minute totals change only
by atomic increments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, exc, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.progress_records import (
    Attempt,
    AttemptView,
    Constellation,
    ConstellationView,
    FocusSession,
    UserProgress,
)
from storage.repositories.progress_rows import (
    ATTEMPT_COLUMNS,
    CONSTELLATION_COLUMNS,
    PERSON_COLUMNS,
    POST_COLUMNS,
    SESSION_COLUMNS,
    attempt_row,
    constellation_row,
    group_by,
    insert_referencing_constellation,
    new_id,
    one_or_none,
    person_row,
    post_row,
    session_row,
)
from storage.tables import constellation_attempts as attempts
from storage.tables import constellations, focus_sessions, posts, users


class SqlProgressRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # users

    async def lock_user(self, user_id: int) -> None:
        """Serialises one user's progress writes (MariaDB row lock; SQLite's BEGIN IMMEDIATE
        already serialises every writer)."""
        await self._db.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())

    async def add_minutes(self, user_id: int, delta: int) -> None:
        if delta:
            await self._db.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(total_minutes=users.c.total_minutes + delta)
            )

    async def set_current_attempt(self, user_id: int, attempt_id: int) -> None:
        await self._db.execute(
            update(users).where(users.c.id == user_id).values(current_attempt_id=attempt_id)
        )

    async def clear_current_attempt(self, user_id: int, attempt_id: int) -> bool:
        result = await self._db.execute(
            update(users)
            .where(users.c.id == user_id, users.c.current_attempt_id == attempt_id)
            .values(current_attempt_id=None)
        )
        return result.rowcount > 0

    def _user_query(self) -> Any:
        return select(
            *PERSON_COLUMNS, users.c.total_minutes, users.c.current_attempt_id, *ATTEMPT_COLUMNS
        ).outerjoin(attempts, attempts.c.id == users.c.current_attempt_id)

    @staticmethod
    def _user_progress(m: RowMapping) -> UserProgress:
        current = attempt_row(m) if m["a_id"] is not None else None
        return UserProgress(
            person_row(m), m["current_attempt_id"], m["total_minutes"], current, [], [], []
        )

    async def user_progress_row(self, user_id: int) -> UserProgress | None:
        row = (await self._db.execute(self._user_query().where(users.c.id == user_id))).first()
        return self._user_progress(row._mapping) if row else None

    async def user_directory(self, after: int | None, limit: int) -> list[UserProgress]:
        query = self._user_query().order_by(users.c.id).limit(limit)
        if after is not None:
            query = query.where(users.c.id > after)
        return [self._user_progress(row._mapping) for row in await self._db.execute(query)]

    async def user_view(
        self, user_id: int, with_sessions: bool, nested: int
    ) -> UserProgress | None:
        base = await self.user_progress_row(user_id)
        if base is None:
            return None
        attempt_rows = await self._db.execute(
            select(*ATTEMPT_COLUMNS)
            .where(attempts.c.user_id == user_id)
            .order_by(attempts.c.id.desc())
            .limit(nested)
        )
        post_rows = await self._db.execute(
            select(*POST_COLUMNS)
            .where(posts.c.user_id == user_id)
            .order_by(posts.c.id.desc())
            .limit(nested)
        )
        sessions: list[FocusSession] = []
        if with_sessions:
            session_rows = await self._db.execute(
                select(*SESSION_COLUMNS)
                .where(focus_sessions.c.user_id == user_id)
                .order_by(focus_sessions.c.id.desc())
                .limit(nested)
            )
            sessions = [session_row(r._mapping) for r in session_rows][::-1]
        return UserProgress(
            base.person,
            base.current_attempt_id,
            base.total_minutes,
            base.current_attempt,
            [attempt_row(r._mapping) for r in attempt_rows][::-1],
            sessions,
            [post_row(r._mapping) for r in post_rows][::-1],
        )

    async def recompute_totals(self) -> tuple[int, int]:
        """Set every stored total to the sum of the user's completed sessions."""
        # Lock all user rows first, the same order every minute-changing writer uses.
        checked = len((await self._db.execute(select(users.c.id).with_for_update())).all())
        completed_sum = (
            select(func.coalesce(func.sum(focus_sessions.c.minutes), 0))
            .where(focus_sessions.c.user_id == users.c.id, focus_sessions.c.status == "completed")
            .scalar_subquery()
        )
        result = await self._db.execute(
            update(users)
            .where(users.c.total_minutes != completed_sum)
            .values(total_minutes=completed_sum)
        )
        return checked, result.rowcount

    async def star_totals(self, user_id: int) -> tuple[int, int]:
        query = select(
            func.coalesce(func.sum(attempts.c.stars_completed), 0),
            func.count(attempts.c.completed_at),
        ).where(attempts.c.user_id == user_id)
        stars, completed = (await self._db.execute(query)).one()
        return int(stars), int(completed)

    # constellations

    async def add_constellation(
        self, name: str, weight: int, created_by: int, now: datetime
    ) -> Constellation:
        result = await self._db.execute(
            insert(constellations).values(
                name=name, weight=weight, created_by=created_by, created_at=now
            )
        )
        return Constellation(new_id(result), name, weight, created_by)

    async def constellation(
        self, constellation_id: int, lock: bool = False
    ) -> Constellation | None:
        query = select(*CONSTELLATION_COLUMNS).where(constellations.c.id == constellation_id)
        return await one_or_none(self._db, query, lock, constellation_row)

    async def constellation_page(self, after: int | None, limit: int) -> list[Constellation]:
        query = select(*CONSTELLATION_COLUMNS).order_by(constellations.c.id).limit(limit)
        if after is not None:
            query = query.where(constellations.c.id > after)
        return [constellation_row(row._mapping) for row in await self._db.execute(query)]

    async def constellation_views(
        self, items: Sequence[Constellation], user_id: int
    ) -> list[ConstellationView]:
        """Each constellation with one user's attempts of it and posts about it (two queries)."""
        ids = list({item.id for item in items})
        if not ids:
            return []
        attempt_rows = await self._db.execute(
            select(*ATTEMPT_COLUMNS)
            .where(attempts.c.user_id == user_id, attempts.c.constellation_id.in_(ids))
            .order_by(attempts.c.id)
        )
        post_rows = await self._db.execute(
            select(*POST_COLUMNS)
            .where(posts.c.user_id == user_id, posts.c.constellation_id.in_(ids))
            .order_by(posts.c.id)
        )
        by_attempt = group_by([attempt_row(r._mapping) for r in attempt_rows], "constellation_id")
        by_post = group_by([post_row(r._mapping) for r in post_rows], "constellation_id")
        return [
            ConstellationView(item, by_attempt.get(item.id, []), by_post.get(item.id, []))
            for item in items
        ]

    async def completed_constellation_views(self, user_id: int) -> list[ConstellationView]:
        query = (
            select(*CONSTELLATION_COLUMNS)
            .join(attempts, attempts.c.constellation_id == constellations.c.id)
            .where(attempts.c.user_id == user_id, attempts.c.completed_at.is_not(None))
            .order_by(attempts.c.id)
        )
        items = [constellation_row(row._mapping) for row in await self._db.execute(query)]
        return await self.constellation_views(items, user_id)

    async def constellation_in_use(self, constellation_id: int) -> bool:
        query = select(attempts.c.id).where(attempts.c.constellation_id == constellation_id)
        return (await self._db.execute(query.limit(1))).first() is not None

    async def update_constellation(
        self, constellation_id: int, name: str | None, weight: int | None
    ) -> None:
        values = {k: v for k, v in (("name", name), ("weight", weight)) if v is not None}
        if values:
            await self._db.execute(
                update(constellations)
                .where(constellations.c.id == constellation_id)
                .values(**values)
            )

    async def delete_constellation(self, constellation_id: int) -> bool:
        """False when attempts or posts still reference it (the foreign keys restrict)."""
        try:
            async with self._db.begin_nested():
                await self._db.execute(
                    delete(constellations).where(constellations.c.id == constellation_id)
                )
        except exc.IntegrityError:
            return False
        return True

    # attempts

    async def add_attempt(self, user_id: int, constellation_id: int, now: datetime) -> int:
        values = dict(
            user_id=user_id, constellation_id=constellation_id, stars_completed=0, created_at=now
        )
        return await insert_referencing_constellation(self._db, insert(attempts).values(**values))

    async def attempt(self, attempt_id: int, lock: bool = False) -> Attempt | None:
        query = select(*ATTEMPT_COLUMNS).where(attempts.c.id == attempt_id)
        return await one_or_none(self._db, query, lock, attempt_row)

    def _attempt_query(self) -> Any:
        return (
            select(*ATTEMPT_COLUMNS, *CONSTELLATION_COLUMNS, *PERSON_COLUMNS)
            .join(constellations, constellations.c.id == attempts.c.constellation_id)
            .join(users, users.c.id == attempts.c.user_id)
        )

    async def _attempt_views(self, rows: Sequence[Any], caller: int) -> list[AttemptView]:
        own = [row._mapping["a_id"] for row in rows if row._mapping["a_user_id"] == caller]
        sessions: dict[int, list[FocusSession]] = {}
        if own:
            session_rows = await self._db.execute(
                select(*SESSION_COLUMNS)
                .where(focus_sessions.c.constellation_attempt_id.in_(own))
                .order_by(focus_sessions.c.id)
            )
            sessions = group_by(
                [session_row(r._mapping) for r in session_rows], "constellation_attempt_id"
            )
        return [
            AttemptView(
                attempt_row(row._mapping),
                person_row(row._mapping),
                constellation_row(row._mapping),
                sessions.get(row._mapping["a_id"], []),
            )
            for row in rows
        ]

    async def attempt_views(self, attempt_ids: Sequence[int], caller: int) -> list[AttemptView]:
        rows = (
            await self._db.execute(
                self._attempt_query().where(attempts.c.id.in_(attempt_ids)).order_by(attempts.c.id)
            )
        ).all()
        return await self._attempt_views(rows, caller)

    async def attempt_views_of(
        self, user_id: int, after: int | None, limit: int, caller: int
    ) -> list[AttemptView]:
        query = (
            self._attempt_query()
            .where(attempts.c.user_id == user_id)
            .order_by(attempts.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(attempts.c.id > after)
        return await self._attempt_views((await self._db.execute(query)).all(), caller)

    async def set_stars(self, attempt_id: int, stars: int, completed_at: datetime | None) -> None:
        await self._db.execute(
            update(attempts)
            .where(attempts.c.id == attempt_id)
            .values(stars_completed=stars, completed_at=completed_at)
        )

    async def delete_attempt(self, attempt_id: int) -> None:
        # Sessions go by the foreign key's ON DELETE CASCADE.
        await self._db.execute(delete(attempts).where(attempts.c.id == attempt_id))
