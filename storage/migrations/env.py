"""Alembic environment: runs migrations over the async engine the application uses."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context

from storage.engine import create_engine
from storage.tables import metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_with_foreign_keys_off(connection: Any) -> None:
    from storage.migrate import sqlite_foreign_keys_off

    with sqlite_foreign_keys_off(connection):
        _run(connection)


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_with_foreign_keys_off)

    finally:
        await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("alembic: no sqlalchemy.url configured and no connection given")
    asyncio.run(_run_async(url))


main()
