"""Column lists and row mappers shared by the Luminary repositories (progress, focus sessions,
posts), so each joined query reads its records the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, RowMapping, Select, exc
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import NotFound
from domain.progress_records import Attempt, Constellation, FocusSession, Person, Post
from storage.tables import constellation_attempts as attempts
from storage.tables import constellations, focus_sessions, posts, users
from storage.types import new_id

T = TypeVar("T")

ATTEMPT_COLUMNS = [
    attempts.c.id.label("a_id"),
    attempts.c.user_id.label("a_user_id"),
    attempts.c.constellation_id.label("a_constellation_id"),
    attempts.c.stars_completed.label("a_stars_completed"),
    attempts.c.completed_at.label("a_completed_at"),
]
CONSTELLATION_COLUMNS = [
    constellations.c.id.label("c_id"),
    constellations.c.name.label("c_name"),
    constellations.c.weight.label("c_weight"),
    constellations.c.created_by.label("c_created_by"),
]
PERSON_COLUMNS = [users.c.id.label("u_id"), users.c.name.label("u_name")]
SESSION_COLUMNS = [
    focus_sessions.c.id,
    focus_sessions.c.user_id,
    focus_sessions.c.constellation_attempt_id,
    focus_sessions.c.minutes,
    focus_sessions.c.status,
    focus_sessions.c.completed_at,
    focus_sessions.c.created_at,
]
POST_COLUMNS = [
    posts.c.id,
    posts.c.user_id,
    posts.c.constellation_id,
    posts.c.post_type,
    posts.c.message,
    posts.c.study_duration,
    posts.c.created_at,
]


def attempt_row(m: RowMapping) -> Attempt:
    return Attempt(
        m["a_id"],
        m["a_user_id"],
        m["a_constellation_id"],
        m["a_stars_completed"],
        m["a_completed_at"],
    )


def constellation_row(m: RowMapping) -> Constellation:
    return Constellation(m["c_id"], m["c_name"], m["c_weight"], m["c_created_by"])


def person_row(m: RowMapping) -> Person:
    return Person(m["u_id"], m["u_name"])


def session_row(m: RowMapping) -> FocusSession:
    return FocusSession(*(m[c.name] for c in SESSION_COLUMNS))


def post_row(m: RowMapping) -> Post:
    return Post(*(m[c.name] for c in POST_COLUMNS))


def group_by(items: Sequence[Any], key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for item in items:
        grouped.setdefault(getattr(item, key), []).append(item)
    return grouped


async def insert_referencing_constellation(db: AsyncConnection, statement: Executable) -> int:
    """The constellation may be deleted between the service's check and this insert."""
    try:
        async with db.begin_nested():
            result = await db.execute(statement)
    except exc.IntegrityError as error:
        raise NotFound("Constellation not found!") from error
    return new_id(result)


async def one_or_none(
    db: AsyncConnection, query: Select[Any], lock: bool, read: Callable[[RowMapping], T]
) -> T | None:
    """One record by its query; `lock` takes its row lock (MariaDB) for the transaction."""
    if lock:
        query = query.with_for_update()
    row = (await db.execute(query)).first()
    return read(row._mapping) if row else None
