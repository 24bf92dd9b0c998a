"""The sweep removes the files of uploads whose rows went with their account (cascade), and
nothing else: not another user's files, not files younger than the grace period."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import delete

from adapters.blobs import LocalBlobStore
from domain.uploads import UploadLimits, UploadService
from storage.engine import create_engine
from storage.tables import users
from storage.uow import unit_of_work_factory
from tests.unit.test_upload_service import Images

NOW = time.time()


async def _user(engine, email: str) -> int:
    from domain.models import NewUser
    from storage.repositories.users import SqlUserRepository

    async with engine.begin() as connection:
        return (await SqlUserRepository(connection).add(NewUser(email, "x", email))).id


def _age(root: Path, seconds: float) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (NOW - seconds, NOW - seconds))


async def test_sweep_removes_only_orphaned_old_files(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        store = LocalBlobStore(tmp_path)
        service = UploadService(
            unit_of_work_factory(engine), Images(), store, UploadLimits(1000, 10**6)
        )
        gone, kept = await _user(engine, "gone@uni.edu"), await _user(engine, "kept@uni.edu")
        orphan = await service.create(gone, b"png")
        mine = await service.create(kept, b"png")
        async with engine.begin() as connection:
            await connection.execute(delete(users).where(users.c.id == gone))
        assert await service.sweep(grace_seconds=3600) == 0  # all too young yet
        _age(tmp_path, 7200)
        fresh_orphan = await store.put(b"in flight")  # written, its row not committed yet
        assert await service.sweep(grace_seconds=3600) == 2
        assert store.open_path(orphan.key) is None and store.open_path(orphan.thumbnail_key) is None
        assert store.open_path(mine.key) and store.open_path(mine.thumbnail_key)
        assert store.open_path(fresh_orphan)
        assert await service.sweep(grace_seconds=3600) == 0
    finally:
        await engine.dispose()
