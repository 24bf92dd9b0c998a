from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import exc, exists, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import Conflict
from domain.models import PROFILE_FIELDS, Credentials, NewUser, User
from storage.tables import revoked_tokens, users
from storage.types import new_id, utcnow

PROFILE_COLUMNS = frozenset(PROFILE_FIELDS)
_USER_FIELDS = tuple(f.name for f in fields(User))


def user_from_row(row: Row[Any]) -> User:
    m = row._mapping
    return User(**{name: _copied(m[name]) for name in _USER_FIELDS})


def _copied(value: Any) -> Any:
    """JSON columns come back as lists and dicts: the record gets its own copies."""
    if isinstance(value, list):
        return list(value)
    return dict(value) if isinstance(value, dict) else value


_USER_COLUMNS = [c for c in users.c if c.name != "password_hash"]


class SqlUserRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, new_user: NewUser) -> User:
        now = utcnow()
        values = {**new_user.__dict__, "created_at": now, "updated_at": now}
        try:
            async with self._db.begin_nested():
                result = await self._db.execute(insert(users).values(**values))
        except exc.IntegrityError as error:
            raise Conflict(
                "An account with this email already exists", {"email": "already registered"}
            ) from error
        user = await self.get(new_id(result))
        assert user is not None
        return user

    async def get(self, user_id: int) -> User | None:
        row = (await self._db.execute(select(*_USER_COLUMNS).where(users.c.id == user_id))).first()
        return user_from_row(row) if row else None

    async def get_for_token(
        self, user_id: int, token_id: str, now: datetime
    ) -> tuple[User | None, bool]:
        """The user, and whether this token id is on the denylist: one query per request."""
        revoked = (
            exists()
            .where(revoked_tokens.c.token_id == token_id, revoked_tokens.c.expires_at > now)
            .label("revoked")
        )
        query = select(*_USER_COLUMNS, revoked).where(users.c.id == user_id)
        row = cast("Row[Any] | None", (await self._db.execute(query)).first())
        return (user_from_row(row), bool(row.revoked)) if row else (None, False)

    async def get_many(self, user_ids: Sequence[int]) -> list[User]:
        if not user_ids:
            return []
        rows = await self._db.execute(select(*_USER_COLUMNS).where(users.c.id.in_(user_ids)))
        return [user_from_row(row) for row in rows]

    async def list_page(self, after_id: int | None, limit: int) -> list[User]:
        query = select(*_USER_COLUMNS).order_by(users.c.id).limit(limit)
        if after_id is not None:
            query = query.where(users.c.id > after_id)
        return [user_from_row(row) for row in await self._db.execute(query)]

    async def credentials_by_email(self, email: str) -> Credentials | None:
        query = select(users.c.id, users.c.password_hash, users.c.token_version).where(
            users.c.email == email
        )
        row = (await self._db.execute(query)).first()
        return Credentials(row.id, row.password_hash, row.token_version) if row else None

    async def update_profile(self, user_id: int, changes: dict[str, Any]) -> User | None:
        unknown = set(changes) - PROFILE_COLUMNS
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        if changes:
            await self._db.execute(
                update(users).where(users.c.id == user_id).values(**changes, updated_at=utcnow())
            )
        return await self.get(user_id)

    async def bump_token_version(self, user_id: int) -> None:
        await self._db.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(token_version=users.c.token_version + 1)
        )

    async def set_calendar_token(self, user_id: int, token: str) -> None:
        await self._db.execute(
            update(users).where(users.c.id == user_id).values(calendar_token=token)
        )
