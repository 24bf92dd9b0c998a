"""Luminary post storage: posts with their author and constellation, newest-first pages and
the feed (the user's own posts and those of the active members of their groups)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.progress_records import PostView
from storage.repositories.progress_rows import (
    CONSTELLATION_COLUMNS,
    PERSON_COLUMNS,
    POST_COLUMNS,
    constellation_row,
    insert_referencing_constellation,
    person_row,
    post_row,
)
from storage.tables import constellations, group_members, posts, users


class SqlPostRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
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
        return await insert_referencing_constellation(self._db, statement)

    def _post_query(self) -> Any:
        return (
            select(*POST_COLUMNS, *CONSTELLATION_COLUMNS, *PERSON_COLUMNS)
            .join(constellations, constellations.c.id == posts.c.constellation_id)
            .join(users, users.c.id == posts.c.user_id)
        )

    @staticmethod
    def _post_view(m: RowMapping) -> PostView:
        return PostView(post_row(m), person_row(m), constellation_row(m))

    async def views(self, post_ids: Sequence[int]) -> list[PostView]:
        rows = await self._db.execute(self._post_query().where(posts.c.id.in_(post_ids)))
        return [self._post_view(row._mapping) for row in rows]

    async def page(
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

    async def delete(self, post_id: int) -> None:
        await self._db.execute(delete(posts).where(posts.c.id == post_id))
