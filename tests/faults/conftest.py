from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.private_services import PrivateMariaDB, PrivateRedis


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def private_mariadb(tmp_path: Path) -> Iterator[PrivateMariaDB]:
    mariadb = PrivateMariaDB(tmp_path / "mariadb")
    mariadb.start()
    try:
        yield mariadb
    finally:
        mariadb.stop()
