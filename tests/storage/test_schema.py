"""Migrations are the only way the schema is made; they must agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import exc, insert, select, text

from storage.engine import create_engine
from storage.tables import constellations, is_search_index, metadata, users
from storage.types import utcnow
from tests.conftest import migrate_database
from tests.services import RUN_ID, create_mariadb_database, drop_mariadb_database


def _not_search_index(name, type_, parent_names) -> bool:
    """The full-text index is engine-specific DDL that the metadata does not describe."""
    return not is_search_index(name)


def _diff(connection):
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _not_search_index}
    )
    return compare_metadata(context, metadata)


async def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert differences == []


async def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(exc.IntegrityError):
                await connection.execute(
                    text(
                        "INSERT INTO group_members (group_id, user_id, role, status, joined_at) "
                        "VALUES (424242, 424242, 'member', 'active', '2026-01-01 00:00:00')"
                    )
                )
    finally:
        await engine.dispose()


async def test_emoji_and_utf8mb4_round_trip(database_url: str) -> None:
    engine = create_engine(database_url)
    now = utcnow()
    name = "Zoë 李 🎓🧪"
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(users).values(
                    email="u@uni.edu",
                    password_hash="x",
                    name=name,
                    learning_style="",
                    subjects=[],
                    study_environments=[],
                    study_methods=[],
                    schedule={},
                    group_preferences={},
                    calendar_token="t",
                    created_at=now,
                    updated_at=now,
                )
            )
            stored = (await connection.execute(text("SELECT name FROM users"))).scalar_one()
            await connection.execute(text("DELETE FROM users"))
    finally:
        await engine.dispose()
    assert stored == name


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
async def test_migrations_add_the_default_constellations_once(backend, tmp_path) -> None:
    """The origin's three constellations (its iOS picker lists them) come from a data migration:
    a fresh database has them, and migrating again adds nothing."""
    if backend == "sqlite":
        url, drop = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", None
    else:
        name = f"studysync_test_{RUN_ID}_fresh"
        url, drop = create_mariadb_database(name), name
    try:
        for _ in range(2):
            await migrate_database(url)
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(constellations.c.name, constellations.c.weight).order_by(
                            constellations.c.id
                        )
                    )
                ).all()
        finally:
            await engine.dispose()
        defaults = [("Triangulum", 3), ("Delphinus", 5), ("Big Dipper", 7)]
        assert [tuple(row) for row in rows] == defaults
    finally:
        if drop is not None:
            drop_mariadb_database(drop)
