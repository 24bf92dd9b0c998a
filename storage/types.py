"""Column types that behave the same on SQLite and MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import CursorResult
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; MariaDB gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (microseconds on MariaDB); read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT just generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def utcnow() -> datetime:
    return datetime.now(UTC)


def Emoji() -> String:  # noqa: N802 - reads like a type in table definitions
    # Binary collation: the default utf8mb4 collations treat many different emoji as equal.
    return String(32).with_variant(mysql.VARCHAR(32, collation="utf8mb4_bin"), "mysql")
