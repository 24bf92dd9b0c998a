"""Invite links and the group directory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.groups import Group
from domain.invites import DirectoryFilter, Invite
from storage.repositories.groups import _GROUP_QUERY, _active_count, _group
from storage.tables import group_invites, study_groups
from storage.types import utcnow


def _invite(row: Any) -> Invite:
    m = row._mapping
    return Invite(
        code=m["code"],
        group_id=m["group_id"],
        created_by=m["created_by"],
        max_uses=m["max_uses"],
        uses=m["uses"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        created_at=m["created_at"],
    )


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlInviteRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def directory(self, wanted: DirectoryFilter) -> tuple[list[Group], bool]:
        """Active groups with room, newest first. The text filter is a LIKE over the groups
        table (titles and subjects of groups, not messages: small next to the chat)."""
        query = _GROUP_QUERY.where(
            study_groups.c.status == "active", _active_count < study_groups.c.max_members
        )
        if wanted.text:
            pattern = _contains(wanted.text)
            query = query.where(
                or_(
                    func.lower(study_groups.c.title).like(pattern, escape="\\"),
                    func.lower(study_groups.c.subject).like(pattern, escape="\\"),
                )
            )
        if wanted.subject:
            query = query.where(func.lower(study_groups.c.subject) == wanted.subject.lower())
        if wanted.open_only:
            query = query.where(study_groups.c.join_policy == "open")
        if wanted.before is not None:
            query = query.where(study_groups.c.id < wanted.before)
        query = query.order_by(study_groups.c.id.desc()).limit(wanted.limit + 1)
        groups = [_group(row) for row in await self._db.execute(query)]
        return groups[: wanted.limit], len(groups) > wanted.limit

    async def add(
        self, code: str, group_id: int, created_by: int, max_uses: int | None, expires_at: datetime
    ) -> Invite:
        await self._db.execute(
            insert(group_invites).values(
                code=code,
                group_id=group_id,
                created_by=created_by,
                max_uses=max_uses,
                uses=0,
                expires_at=expires_at,
                created_at=utcnow(),
            )
        )
        invite = await self.get(code)
        assert invite is not None
        return invite

    async def get(self, code: str, lock: bool = False) -> Invite | None:
        """`lock`: a locking read, which on MariaDB also keeps this transaction's snapshot
        from starting before the group lock that follows (capacity is counted after it)."""
        query = select(group_invites).where(group_invites.c.code == code)
        if lock:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        return _invite(row) if row else None

    async def for_group(self, group_id: int) -> list[Invite]:
        query = (
            select(group_invites)
            .where(group_invites.c.group_id == group_id)
            .order_by(group_invites.c.id.desc())
        )
        return [_invite(row) for row in await self._db.execute(query)]

    async def revoke(self, code: str, now: datetime) -> None:
        await self._db.execute(
            update(group_invites)
            .where(group_invites.c.code == code, group_invites.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def use(self, code: str, now: datetime) -> bool:
        """Count one use if the invite is still usable: one conditional UPDATE, so two
        transactions can never both take the last use."""
        result = await self._db.execute(
            update(group_invites)
            .where(
                group_invites.c.code == code,
                group_invites.c.revoked_at.is_(None),
                group_invites.c.expires_at > now,
                or_(
                    group_invites.c.max_uses.is_(None),
                    group_invites.c.uses < group_invites.c.max_uses,
                ),
            )
            .values(uses=group_invites.c.uses + 1)
        )
        return result.rowcount == 1
