"""backup → restore round trips with a server writing during the backup, on SQLite and on the
real MariaDB; then a server on the restored database lets the users log in."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.processes import ROOT, start_server, stop_server
from tests.services import RUN_ID, create_mariadb_database, drop_mariadb_database

PASSWORD = "long enough password"
EXCLUDED = {"DATABASE_URL", "REDIS_URL", "PORT", "JWT_SECRET_KEY"}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in EXCLUDED} | (env or {})
    command = [sys.executable, "server.py", *args]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True)


def write_config(directory: Path) -> Path:
    """The config tests.processes.start_server writes for this directory (same database)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(
        f'database_url = "sqlite+aiosqlite:///{directory}/app.db"\n'
        f'jwt_secret_file = "{directory}/secret"\nbcrypt_rounds = 4\n'
        f'\n[matching]\nembedder = "hashing"\n[uploads]\ndir = "{directory}/uploads"\n'
    )
    return path


async def register(http: aiohttp.ClientSession, base: str, email: str) -> None:
    body = {"name": "Backup Student", "email": email, "password": PASSWORD}
    async with http.post(f"{base}/api/auth/register", json=body) as response:
        assert response.status == 201, await response.text()


async def can_log_in(http: aiohttp.ClientSession, base: str, email: str) -> bool:
    body = {"email": email, "password": PASSWORD}
    async with http.post(f"{base}/api/auth/login", json=body) as response:
        return response.status == 200


async def backup_while_writing(base: str, args: list[str], env: dict[str, str]) -> list[str]:
    """Register users before and all through `server.py backup`; returns the emails registered
    before the backup started (they must be in it), then the ones written during it."""
    before = [f"before{i}-{uuid.uuid4().hex[:6]}@uni.edu" for i in range(5)]
    during: list[str] = []
    async with aiohttp.ClientSession() as http:
        for email in before:
            await register(http, base, email)
        backup = asyncio.create_task(asyncio.to_thread(cli, "backup", *args, env=env))
        while not backup.done():
            email = f"during{len(during)}-{uuid.uuid4().hex[:6]}@uni.edu"
            await register(http, base, email)
            during.append(email)
        result = await backup
    assert result.returncode == 0, result.stderr
    assert len(during) >= 3, "the server was not writing during the backup"
    return before


def make_uploads(directory: Path) -> dict[str, bytes]:
    files = {"ab/abcdef.png": b"\x89PNG fake", "cd/cdef01.jpg": b"\xff\xd8 fake jpeg"}
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)
    return files


def manifest_of(archive: Path) -> dict[str, object]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())


async def check_restored(base: str, before: list[str]) -> None:
    async with aiohttp.ClientSession() as http:
        for email in before:
            assert await can_log_in(http, base, email), email


def sqlite_count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(sql).fetchone()[0])


async def test_sqlite_round_trip_while_the_server_writes(tmp_path: Path) -> None:
    live, restored = tmp_path / "live", tmp_path / "restored"
    live.mkdir()
    process, base = start_server(live)
    files = make_uploads(tmp_path / "uploads")
    archive = tmp_path / "backups" / "studysync.tar.gz"
    backup_args = ["--config", str(live / "config.toml"), "--output", str(archive)]
    try:
        before = await backup_while_writing(
            base, [*backup_args, "--uploads", str(tmp_path / "uploads")], {}
        )
    finally:
        stop_server(process)
    manifest = manifest_of(archive)
    with sqlite3.connect(live / "app.db") as connection:
        live_revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert manifest["engine"] == "sqlite" and manifest["schema_revision"] == live_revision
    assert manifest["uploads"] is True

    config = write_config(restored)
    uploads = restored / "uploads"
    result = cli("restore", str(archive), "--config", str(config), "--uploads", str(uploads))
    assert result.returncode == 0, result.stderr
    assert sqlite_count(restored / "app.db", "SELECT count(*) FROM users") >= len(before)
    with sqlite3.connect(restored / "app.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {
        p.relative_to(uploads).as_posix(): p.read_bytes() for p in uploads.rglob("*.*")
    } == files

    again = cli("restore", str(archive), "--config", str(config), "--uploads", str(tmp_path / "u2"))
    assert again.returncode == 2 and "not empty" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr

    process, base = start_server(restored)
    try:
        await check_restored(base, before)
    finally:
        stop_server(process)


def test_restore_refuses_a_non_empty_uploads_directory_and_a_foreign_engine(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live"
    config = write_config(live)
    assert cli("migrate", "--config", str(config)).returncode == 0
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "--config", str(config), "--output", str(archive)).returncode == 0
    assert manifest_of(archive)["uploads"] is False  # no uploads directory yet: still a backup

    target = write_config(tmp_path / "target")
    busy = tmp_path / "busy-uploads"
    make_uploads(busy)
    result = cli("restore", str(archive), "--config", str(target), "--uploads", str(busy))
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert not (tmp_path / "target" / "app.db").exists()  # refused before touching anything

    mariadb = {"DATABASE_URL": "mysql+asyncmy://root@127.0.0.1:1/x"}
    result = cli("restore", str(archive), "--config", str(target), env=mariadb)
    assert result.returncode == 2 and "same engine" in result.stderr

    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    result = cli("restore", str(tmp_path / "junk.tar.gz"), "--config", str(target))
    assert result.returncode == 2 and "not a readable StudySync backup" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def mariadb_databases() -> Iterator[Callable[[], tuple[str, str]]]:
    names: list[str] = []

    def create() -> tuple[str, str]:
        name = f"studysync_backup_{RUN_ID}_{uuid.uuid4().hex[:6]}"
        url = create_mariadb_database(name)
        names.append(name)
        return name, url

    yield create
    for name in names:
        drop_mariadb_database(name)


def mariadb_value(database: str, sql: str) -> str:
    command = ["mariadb", "-h", "127.0.0.1", "-u", "root", "-N", "-B", "-e", sql, database]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def mariadb_users(database: str) -> int:
    return int(mariadb_value(database, "SELECT count(*) FROM users"))


@pytest.mark.mariadb
async def test_mariadb_round_trip_while_the_server_writes(
    tmp_path: Path, mariadb_databases: Callable[[], tuple[str, str]]
) -> None:
    live_name, live_url = mariadb_databases()
    live, restored = tmp_path / "live", tmp_path / "restored"
    live.mkdir()
    restored.mkdir()
    env = {"DATABASE_URL": live_url}
    process, base = start_server(live, env=env)
    archive = tmp_path / "studysync.tar.gz"
    try:
        args = ["--config", str(live / "config.toml"), "--output", str(archive)]
        before = await backup_while_writing(base, args, env)
    finally:
        stop_server(process)
    manifest = manifest_of(archive)
    assert manifest["engine"] == "mariadb" and manifest["database"] == "database.sql"
    assert manifest["schema_revision"]

    target_name, target_url = mariadb_databases()
    config = str(write_config(restored))
    result = cli("restore", str(archive), "--config", config, env={"DATABASE_URL": target_url})
    assert result.returncode == 0, result.stderr
    assert mariadb_users(target_name) >= len(before)
    revision = mariadb_value(target_name, "SELECT version_num FROM alembic_version")
    assert (
        revision
        == manifest["schema_revision"]
        == mariadb_value(live_name, "SELECT version_num FROM alembic_version")
    )

    again = cli("restore", str(archive), "--config", config, env={"DATABASE_URL": target_url})
    assert again.returncode == 2 and "is not empty" in again.stderr

    process, base = start_server(restored, env={"DATABASE_URL": target_url})
    try:
        await check_restored(base, before)
    finally:
        stop_server(process)
    assert mariadb_users(live_name) > mariadb_users(target_name)  # later writes not in it
