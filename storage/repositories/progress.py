"""Luminary progress storage. Every list is loaded in a fixed number of queries (joins and IN
lists, never one query per row); minute totals change only by atomic increments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exc, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import NotFound
from domain.progress import (
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
from storage.tables import constellation_attempts as attempts
from storage.tables import constellations, focus_sessions, group_members, posts, users

_A = [
    attempts.c.id.label("a_id"),
    attempts.c.user_id.label("a_user_id"),
    attempts.c.constellation_id.label("a_constellation_id"),
    attempts.c.stars_completed.label("a_stars_completed"),
    attempts.c.completed_at.label("a_completed_at"),
]
_C = [
    constellations.c.id.label("c_id"),
    constellations.c.name.label("c_name"),
    constellations.c.weight.label("c_weight"),
    constellations.c.created_by.label("c_created_by"),
]
_U = [users.c.id.label("u_id"), users.c.name.label("u_name")]
_SESSION_COLUMNS = [
    focus_sessions.c.id,
    focus_sessions.c.user_id,
    focus_sessions.c.constellation_attempt_id,
    focus_sessions.c.minutes,
    focus_sessions.c.status,
    focus_sessions.c.completed_at,
    focus_sessions.c.created_at,
]
_POST_COLUMNS = [
    posts.c.id,
    posts.c.user_id,
    posts.c.constellation_id,
    posts.c.post_type,
    posts.c.message,
    posts.c.study_duration,
    posts.c.created_at,
]


def _attempt(m: Any) -> Attempt:
    return Attempt(
        m["a_id"],
        m["a_user_id"],
        m["a_constellation_id"],
        m["a_stars_completed"],
        m["a_completed_at"],
    )


def _constellation(m: Any) -> Constellation:
    return Constellation(m["c_id"], m["c_name"], m["c_weight"], m["c_created_by"])


def _person(m: Any) -> Person:
    return Person(m["u_id"], m["u_name"])


def _session(m: Any) -> FocusSession:
    return FocusSession(*(m[c.name] for c in _SESSION_COLUMNS))


def _post(m: Any) -> Post:
    return Post(*(m[c.name] for c in _POST_COLUMNS))


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _group_by(items: Sequence[Any], key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for item in items:
        grouped.setdefault(getattr(item, key), []).append(item)
    return grouped


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
        return select(*_U, users.c.total_minutes, users.c.current_attempt_id, *_A).outerjoin(
            attempts, attempts.c.id == users.c.current_attempt_id
        )

    @staticmethod
    def _user_progress(m: Any) -> UserProgress:
        current = _attempt(m) if m["a_id"] is not None else None
        return UserProgress(
            _person(m), m["current_attempt_id"], m["total_minutes"], current, [], [], []
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
            select(*_A)
            .where(attempts.c.user_id == user_id)
            .order_by(attempts.c.id.desc())
            .limit(nested)
        )
        post_rows = await self._db.execute(
            select(*_POST_COLUMNS)
            .where(posts.c.user_id == user_id)
            .order_by(posts.c.id.desc())
            .limit(nested)
        )
        sessions: list[FocusSession] = []
        if with_sessions:
            session_rows = await self._db.execute(
                select(*_SESSION_COLUMNS)
                .where(focus_sessions.c.user_id == user_id)
                .order_by(focus_sessions.c.id.desc())
                .limit(nested)
            )
            sessions = [_session(r._mapping) for r in session_rows][::-1]
        return UserProgress(
            base.person,
            base.current_attempt_id,
            base.total_minutes,
            base.current_attempt,
            [_attempt(r._mapping) for r in attempt_rows][::-1],
            sessions,
            [_post(r._mapping) for r in post_rows][::-1],
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

    async def completed_session_times(self, user_id: int) -> list[tuple[datetime, int]]:
        query = select(focus_sessions.c.completed_at, focus_sessions.c.minutes).where(
            focus_sessions.c.user_id == user_id,
            focus_sessions.c.status == "completed",
            focus_sessions.c.completed_at.is_not(None),
        )
        return [(row[0], row[1]) for row in await self._db.execute(query)]

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
        return Constellation(_new_id(result), name, weight, created_by)

    async def constellation(
        self, constellation_id: int, lock: bool = False
    ) -> Constellation | None:
        query = select(*_C).where(constellations.c.id == constellation_id)
        if lock:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _constellation(row._mapping) if row else None

    async def constellation_page(self, after: int | None, limit: int) -> list[Constellation]:
        query = select(*_C).order_by(constellations.c.id).limit(limit)
        if after is not None:
            query = query.where(constellations.c.id > after)
        return [_constellation(row._mapping) for row in await self._db.execute(query)]

    async def constellation_views(
        self, items: Sequence[Constellation], user_id: int
    ) -> list[ConstellationView]:
        """Each constellation with one user's attempts of it and posts about it (two queries)."""
        ids = list({item.id for item in items})
        if not ids:
            return []
        attempt_rows = await self._db.execute(
            select(*_A)
            .where(attempts.c.user_id == user_id, attempts.c.constellation_id.in_(ids))
            .order_by(attempts.c.id)
        )
        post_rows = await self._db.execute(
            select(*_POST_COLUMNS)
            .where(posts.c.user_id == user_id, posts.c.constellation_id.in_(ids))
            .order_by(posts.c.id)
        )
        by_attempt = _group_by([_attempt(r._mapping) for r in attempt_rows], "constellation_id")
        by_post = _group_by([_post(r._mapping) for r in post_rows], "constellation_id")
        return [
            ConstellationView(item, by_attempt.get(item.id, []), by_post.get(item.id, []))
            for item in items
        ]

    async def completed_constellation_views(self, user_id: int) -> list[ConstellationView]:
        query = (
            select(*_C)
            .join(attempts, attempts.c.constellation_id == constellations.c.id)
            .where(attempts.c.user_id == user_id, attempts.c.completed_at.is_not(None))
            .order_by(attempts.c.id)
        )
        items = [_constellation(row._mapping) for row in await self._db.execute(query)]
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
        return await self._insert_referencing_constellation(insert(attempts).values(**values))

    async def attempt(self, attempt_id: int, lock: bool = False) -> Attempt | None:
        query = select(*_A).where(attempts.c.id == attempt_id)
        if lock:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _attempt(row._mapping) if row else None

    def _attempt_query(self) -> Any:
        return (
            select(*_A, *_C, *_U)
            .join(constellations, constellations.c.id == attempts.c.constellation_id)
            .join(users, users.c.id == attempts.c.user_id)
        )

    async def _attempt_views(self, rows: Sequence[Any], caller: int) -> list[AttemptView]:
        own = [row._mapping["a_id"] for row in rows if row._mapping["a_user_id"] == caller]
        sessions: dict[int, list[FocusSession]] = {}
        if own:
            session_rows = await self._db.execute(
                select(*_SESSION_COLUMNS)
                .where(focus_sessions.c.constellation_attempt_id.in_(own))
                .order_by(focus_sessions.c.id)
            )
            sessions = _group_by(
                [_session(r._mapping) for r in session_rows], "constellation_attempt_id"
            )
        return [
            AttemptView(
                _attempt(row._mapping),
                _person(row._mapping),
                _constellation(row._mapping),
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

    async def completed_minutes_of_attempt(self, attempt_id: int) -> int:
        query = select(func.coalesce(func.sum(focus_sessions.c.minutes), 0)).where(
            focus_sessions.c.constellation_attempt_id == attempt_id,
            focus_sessions.c.status == "completed",
        )
        return int((await self._db.execute(query)).scalar_one())

    async def delete_attempt(self, attempt_id: int) -> None:
        # Sessions go by the foreign key's ON DELETE CASCADE.
        await self._db.execute(delete(attempts).where(attempts.c.id == attempt_id))

    # focus sessions

    async def add_session(self, user_id: int, attempt_id: int, minutes: int, now: datetime) -> int:
        result = await self._db.execute(
            insert(focus_sessions).values(
                user_id=user_id,
                constellation_attempt_id=attempt_id,
                minutes=minutes,
                status="pending",
                created_at=now,
            )
        )
        return _new_id(result)

    async def session(self, session_id: int, lock: bool = False) -> FocusSession | None:
        query = select(*_SESSION_COLUMNS).where(focus_sessions.c.id == session_id)
        if lock:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _session(row._mapping) if row else None

    def _session_query(self) -> Any:
        return (
            select(*_SESSION_COLUMNS, *_A, *_U)
            .join(attempts, attempts.c.id == focus_sessions.c.constellation_attempt_id)
            .join(users, users.c.id == focus_sessions.c.user_id)
        )

    @staticmethod
    def _session_view(m: Any) -> SessionView:
        return SessionView(_session(m), _person(m), _attempt(m))

    async def session_views(self, session_ids: Sequence[int]) -> list[SessionView]:
        query = self._session_query().where(focus_sessions.c.id.in_(session_ids))
        rows = await self._db.execute(query.order_by(focus_sessions.c.id))
        return [self._session_view(row._mapping) for row in rows]

    async def session_views_of(
        self, user_id: int, attempt_id: int | None, after: int | None, limit: int
    ) -> list[SessionView]:
        query = (
            self._session_query()
            .where(focus_sessions.c.user_id == user_id)
            .order_by(focus_sessions.c.id)
            .limit(limit)
        )
        if attempt_id is not None:
            query = query.where(focus_sessions.c.constellation_attempt_id == attempt_id)
        if after is not None:
            query = query.where(focus_sessions.c.id > after)
        return [self._session_view(row._mapping) for row in await self._db.execute(query)]

    async def transition(
        self, session_id: int, old: str, new: str, completed_at: datetime | None
    ) -> bool:
        """Conditional status change: True only for the one transaction that made it."""
        result = await self._db.execute(
            update(focus_sessions)
            .where(focus_sessions.c.id == session_id, focus_sessions.c.status == old)
            .values(status=new, completed_at=completed_at)
        )
        return result.rowcount == 1

    async def delete_session(self, session_id: int) -> None:
        await self._db.execute(delete(focus_sessions).where(focus_sessions.c.id == session_id))

    # posts

    async def add_post(
        self,
        user_id: int,
        constellation_id: int,
        post_type: str,
        message: str | None,
        study_duration: int | None,
        now: datetime,
    ) -> int:
        statement = insert(posts).values(
            user_id=user_id,
            constellation_id=constellation_id,
            post_type=post_type,
            message=message,
            study_duration=study_duration,
            created_at=now,
        )
        return await self._insert_referencing_constellation(statement)

    async def _insert_referencing_constellation(self, statement: Any) -> int:
        """The constellation may be deleted between the service's check and this insert."""
        try:
            async with self._db.begin_nested():
                result = await self._db.execute(statement)
        except exc.IntegrityError as error:
            raise NotFound("Constellation not found!") from error
        return _new_id(result)

    def _post_query(self) -> Any:
        return (
            select(*_POST_COLUMNS, *_C, *_U)
            .join(constellations, constellations.c.id == posts.c.constellation_id)
            .join(users, users.c.id == posts.c.user_id)
        )

    @staticmethod
    def _post_view(m: Any) -> PostView:
        return PostView(_post(m), _person(m), _constellation(m))

    async def post_views(self, post_ids: Sequence[int]) -> list[PostView]:
        rows = await self._db.execute(self._post_query().where(posts.c.id.in_(post_ids)))
        return [self._post_view(row._mapping) for row in rows]

    async def post_page(
        self,
        *,
        before: int | None,
        limit: int,
        user_id: int | None = None,
        constellation_id: int | None = None,
        feed_of: int | None = None,
    ) -> list[PostView]:
        """Newest first; `feed_of` keeps the user's own posts and their groups' members'."""
        query = self._post_query().order_by(posts.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(posts.c.id < before)
        if user_id is not None:
            query = query.where(posts.c.user_id == user_id)
        if constellation_id is not None:
            query = query.where(posts.c.constellation_id == constellation_id)
        if feed_of is not None:
            mine = group_members.alias("mine")
            theirs = group_members.alias("theirs")
            members = (
                select(theirs.c.user_id)
                .join(mine, and_(mine.c.group_id == theirs.c.group_id))
                .where(
                    mine.c.user_id == feed_of,
                    mine.c.status == "active",
                    theirs.c.status == "active",
                )
            )
            query = query.where(or_(posts.c.user_id == feed_of, posts.c.user_id.in_(members)))
        return [self._post_view(row._mapping) for row in await self._db.execute(query)]

    async def delete_post(self, post_id: int) -> None:
        await self._db.execute(delete(posts).where(posts.c.id == post_id))
