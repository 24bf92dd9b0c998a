"""Reaching the shared MariaDB and Redis: per-run names, and the CI rule for missing services."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

MARIADB_HOST = os.environ.get("TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("TEST_MARIADB_PORT", "3306"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
IN_CI = os.environ.get("CI", "").lower() == "true"


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """In CI a missing service fails the run loudly; locally the test skips with a notice."""
    if port_open(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (required when CI=true)", pytrace=False)
    pytest.skip(f"NOTICE: {message}; skipping (CI=true makes this a failure)")


def run_blocking(make_coroutine: Any) -> Any:
    """Run a coroutine to completion on a fresh loop in another thread.

    Session fixtures may be first requested from inside a running test loop, where asyncio.run
    is not allowed.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def mariadb_url(database: str) -> str:
    return f"mysql+asyncmy://root@{MARIADB_HOST}:{MARIADB_PORT}/{database}?charset=utf8mb4"


async def _mariadb_admin(statement: str) -> None:
    import asyncmy

    connection = await asyncmy.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root")
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        connection.close()


def create_mariadb_database(name: str) -> str:
    require_service("MariaDB", MARIADB_HOST, MARIADB_PORT)
    statement = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    run_blocking(lambda: _mariadb_admin(statement))
    return mariadb_url(name)


def drop_mariadb_database(name: str) -> None:
    run_blocking(lambda: _mariadb_admin(f"DROP DATABASE IF EXISTS `{name}`"))


def redis_prefix() -> str:
    return f"studysync-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
