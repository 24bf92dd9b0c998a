"""Apply Alembic migrations from code (the CLI's `migrate`, `serve` at start-up, and tests)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind `engine` to `revision` (Alembic is synchronous: run_sync)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        with sqlite_foreign_keys_off(connection):
            command.upgrade(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(run)


@contextlib.contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Run migrations and commit them with SQLite's foreign keys off, as its docs prescribe for
    rebuilding a table (batch mode): with them on, dropping the old table would cascade to every
    row referring to it. Violations are checked before the commit; the keys are back on after.
    Other engines: just commit at the end."""
    if connection.dialect.name != "sqlite":
        yield
        connection.commit()
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if connection.in_transaction():
        connection.commit()
    _raw_sqlite(raw, "PRAGMA foreign_keys=OFF")  # outside a transaction, or it is a no-op
    try:
        yield
        violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise RuntimeError(f"migration broke foreign keys: {violations[:5]}")
        connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        _raw_sqlite(raw, "PRAGMA foreign_keys=ON")


def _raw_sqlite(raw: Any, statement: str) -> None:
    cursor = raw.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def head_revision() -> str | None:
    """The newest revision in storage/migrations (read from the scripts, no database)."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


async def database_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is stamped at (None before the first migration)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def upgrade_blocking(database_url: str) -> None:
    from storage.engine import create_engine

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
