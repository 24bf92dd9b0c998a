"""What the matching index is built from: profiles with stored embeddings, and groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, delete, func, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.matching_records import GroupCard, StoredEmbedding, StudentRecord
from storage.tables import (
    group_members,
    matching_dismissals,
    study_groups,
    user_embeddings,
    users,
)
from storage.types import utcnow

# A student record is the users row's columns of the same names, plus the stored embedding and
# two keys of the group preferences.
_NOT_COLUMNS = {"embedding", "study_goals", "group_size"}
_STUDENT_FIELDS = tuple(f.name for f in fields(StudentRecord) if f.name not in _NOT_COLUMNS)
_STUDENT_COLUMNS = (
    *(users.c[name] for name in _STUDENT_FIELDS),
    users.c.group_preferences,
    user_embeddings.c.model,
    user_embeddings.c.text_sha256,
    user_embeddings.c.vector,
    user_embeddings.c.search_vector,
)


def _student(row: object) -> StudentRecord:
    m = row._mapping  # type: ignore[attr-defined]
    embedding = None
    if m["search_vector"] is not None:
        embedding = StoredEmbedding(m["model"], m["text_sha256"], m["vector"], m["search_vector"])
    profile = {name: m[name] for name in _STUDENT_FIELDS}
    profile["subjects"] = list(profile["subjects"])
    profile["schedule"] = dict(profile["schedule"])
    goals, size = _preferences(m["group_preferences"])
    return StudentRecord(**profile, embedding=embedding, study_goals=goals, group_size=size)


def _preferences(stored: object) -> tuple[tuple[str, ...], int | None]:
    """studyGoals and groupSize, tolerating rows written before the profile rules (any shape)."""
    preferences = stored if isinstance(stored, dict) else {}
    goals = preferences.get("studyGoals")
    size = preferences.get("groupSize")
    listed = tuple(g for g in goals if isinstance(g, str)) if isinstance(goals, list) else ()
    wanted = size if isinstance(size, int) and not isinstance(size, bool) else None
    return listed, wanted


class SqlMatchingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    def _students(self):  # type: ignore[no-untyped-def]
        return select(*_STUDENT_COLUMNS).select_from(
            users.outerjoin(user_embeddings, user_embeddings.c.user_id == users.c.id)
        )

    async def students(self, after_id: int, limit: int) -> list[StudentRecord]:
        query = self._students().where(users.c.id > after_id).order_by(users.c.id).limit(limit)
        return [_student(row) for row in await self._db.execute(query)]

    async def student(self, user_id: int) -> StudentRecord | None:
        row = (await self._db.execute(self._students().where(users.c.id == user_id))).first()
        return _student(row) if row else None

    async def store_embedding(
        self, user_id: int, model: str, text_sha256: str, vector: bytes | None, search: bytes
    ) -> None:
        values = {
            "user_id": user_id,
            "model": model,
            "text_sha256": text_sha256,
            "vector": vector,
            "search_vector": search,
            "updated_at": utcnow(),
        }
        changes = {k: v for k, v in values.items() if k != "user_id"}
        await self._upsert(user_embeddings, values, changes, ["user_id"])

    async def _upsert(
        self, table: Table, values: dict[str, Any], changes: dict[str, Any], key: list[str]
    ) -> None:
        statement: Insert
        if self._db.dialect.name == "mysql":
            statement = mysql_insert(table).values(values).on_duplicate_key_update(changes)
        else:
            statement = (
                sqlite_insert(table)
                .values(values)
                .on_conflict_do_update(index_elements=key, set_=changes)
            )
        await self._db.execute(statement)

    async def groups(self, group_ids: Sequence[int] | None = None) -> list[GroupCard]:
        """Active groups with their active members and join requesters, in two queries."""
        query = (
            select(study_groups, users.c.name.label("leader_name"))
            .join(users, users.c.id == study_groups.c.leader_id)
            .where(study_groups.c.status == "active")
        )
        if group_ids is not None:
            query = query.where(study_groups.c.id.in_(group_ids))
        rows = (await self._db.execute(query)).all()
        members = await self._members([row.id for row in rows])
        return [
            GroupCard(
                id=row.id,
                title=row.title,
                subject=row.subject,
                description=row.description,
                schedule=row.schedule,
                location=row.location,
                max_members=row.max_members,
                join_policy=row.join_policy,
                leader_name=row.leader_name,
                member_ids=tuple(members.get((row.id, "active"), ())),
                requester_ids=tuple(members.get((row.id, "pending"), ())),
            )
            for row in rows
        ]

    async def _members(self, group_ids: list[int]) -> dict[tuple[int, str], list[int]]:
        """User ids by (group, membership status)."""
        if not group_ids:
            return {}
        query = select(
            group_members.c.group_id, group_members.c.status, group_members.c.user_id
        ).where(group_members.c.group_id.in_(group_ids))
        members: dict[tuple[int, str], list[int]] = {}
        for group_id, status, user_id in await self._db.execute(query):
            members.setdefault((group_id, status), []).append(user_id)
        return members

    async def count_students(self) -> int:
        return int((await self._db.execute(select(func.count()).select_from(users))).scalar_one())

    # ---- issue 18: feedback, and the checks behind POST /api/groups/from-suggestion ----------

    async def dismiss(self, user_id: int, kind: str, target: str, until: datetime) -> None:
        """Hide a card until `until` (dismissing it again moves the date). This user's expired
        rows are deleted on the way, so reads stay read-only."""
        table = matching_dismissals
        await self._db.execute(
            delete(table).where(table.c.user_id == user_id, table.c.expires_at <= utcnow())
        )
        values = {
            "user_id": user_id,
            "kind": kind,
            "target": target,
            "expires_at": until,
            "created_at": utcnow(),
        }
        await self._upsert(
            matching_dismissals, values, {"expires_at": until}, ["user_id", "kind", "target"]
        )

    async def dismissals(self, user_id: int, now: datetime) -> dict[str, set[str]]:
        """Unexpired dismissals by kind."""
        table = matching_dismissals
        query = select(table.c.kind, table.c.target).where(
            table.c.user_id == user_id, table.c.expires_at > now
        )
        found: dict[str, set[str]] = {}
        for kind, target in await self._db.execute(query):
            found.setdefault(kind, set()).add(target)
        return found

    async def lock_students(self, user_ids: Sequence[int]) -> set[int]:
        """Lock these users' rows (in id order, so two callers cannot deadlock); returns the
        ids that exist. SQLite's BEGIN IMMEDIATE already serialises writers."""
        query = (
            select(users.c.id)
            .where(users.c.id.in_(sorted(user_ids)))
            .order_by(users.c.id)
            .with_for_update()
        )
        return {row.id for row in await self._db.execute(query)}

    async def group_subjects_of(self, user_ids: Sequence[int]) -> dict[int, set[str]]:
        """Subjects of the active groups each user is an active member of (as stored)."""
        query = (
            select(group_members.c.user_id, study_groups.c.subject)
            .join(study_groups, study_groups.c.id == group_members.c.group_id)
            .where(
                group_members.c.user_id.in_(list(user_ids)),
                group_members.c.status == "active",
                study_groups.c.status == "active",
            )
            .with_for_update()
        )
        found: dict[int, set[str]] = {}
        for user_id, subject in await self._db.execute(query):
            found.setdefault(user_id, set()).add(subject)
        return found
