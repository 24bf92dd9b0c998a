"""Shared fixtures: a migrated database per backend per run, and a real app on a test server."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from app import create_app
from settings import Settings, load_settings
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.tables import metadata, users
from tests.services import (
    REDIS_URL,
    RUN_ID,
    create_mariadb_database,
    drop_mariadb_database,
    run_blocking,
)

TEST_SECRET = "test-secret-" + "x" * 40
BACKENDS = ["sqlite", "mariadb"]


@pytest.fixture(scope="session", autouse=True)
def clean_shared_redis() -> Iterator[None]:
    """Every per-run Redis prefix (tests.services.redis_prefix) starts with this run's id: at the
    end delete those keys, and only those, from the shared Redis. Never a FLUSH."""
    yield
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        for key in client.scan_iter(match=f"studysync-test-{RUN_ID}-*", count=500):
            client.delete(key)
    except redis.ConnectionError:
        pass  # no Redis, so nothing was written to it
    finally:
        client.close()


async def migrate_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "studysync.db"
    url = f"sqlite+aiosqlite:///{path}"
    run_blocking(lambda: migrate_and_empty(url))
    return url


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    name = f"studysync_test_{RUN_ID}"
    url = create_mariadb_database(name)
    try:
        run_blocking(lambda: migrate_and_empty(url))
        yield url
    finally:
        drop_mariadb_database(name)


async def migrate_and_empty(url: str) -> None:
    """Every test starts from an empty schema: the rows data migrations add (the default
    constellations) are removed too; tests/storage/test_schema.py checks those separately."""
    await migrate_database(url)
    await wipe(url)


async def wipe(url: str) -> None:
    """Delete every row (children first) so each test starts from an empty, migrated schema."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(users).values(current_attempt_id=None))
            for table in reversed(metadata.sorted_tables):
                await connection.execute(delete(table))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A migrated, empty database: each test runs once on SQLite and once on MariaDB."""
    url = request.getfixturevalue(f"{request.param}_url")
    yield url
    await wipe(url)


@pytest.fixture
async def sqlite_database_url(sqlite_url: str) -> AsyncIterator[str]:
    """For tests whose subject does not depend on the database engine."""
    yield sqlite_url
    await wipe(sqlite_url)


def settings_for(database_url: str, **changes: Any) -> Settings:
    base = load_settings(environ={}, database_url=database_url)
    # The hashing embedder stands in for the real model (tests marked `model` load that).
    fast_matching = replace(base.matching, embedder="hashing")
    # Mail of in-process apps goes to a per-run outbox, never into the checkout's var/outbox.
    outbox = replace(base.email, outbox_dir=str(Path(tempfile.gettempdir()) / f"outbox-{RUN_ID}"))
    # Uploads of in-process apps too: never into the checkout's var/uploads.
    uploads = replace(base.uploads, dir=str(Path(tempfile.gettempdir()) / f"uploads-{RUN_ID}"))
    defaults: dict[str, Any] = {
        "jwt_secret": TEST_SECRET,
        "bcrypt_rounds": 4,
        "matching": fast_matching,
        "email": outbox,
        "uploads": uploads,
    }
    return base.with_overrides(**{**defaults, **changes})


AppFactory = Callable[..., Any]


@pytest.fixture
def make_client(aiohttp_client: Any, database_url: str) -> AppFactory:
    """Start the real app on a test server and return an aiohttp client for it."""

    async def start(overrides: dict[str, Any] | None = None, **settings_changes: Any) -> Any:
        settings = settings_for(database_url, **settings_changes)
        return await aiohttp_client(create_app(settings, overrides=overrides))

    return start


@pytest.fixture
async def client(make_client: AppFactory) -> Any:
    return await make_client()
