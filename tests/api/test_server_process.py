"""The process interface: `python server.py serve` on the embedded defaults, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.processes import ROOT, free_port, start_server, stop_server, wait_until_serving


@pytest.fixture
def server(tmp_path: Path):
    process, base = start_server(tmp_path)
    try:
        yield base, tmp_path
    finally:
        stop_server(process)


async def test_serve_migrates_then_register_and_login_work(server) -> None:
    base, data_dir = server
    async with aiohttp.ClientSession() as http:
        body = {"name": "Cli User", "email": "cli@uni.edu", "password": "long enough"}
        async with http.post(f"{base}/api/auth/register", json=body) as response:
            assert response.status == 201
        login = {"email": "cli@uni.edu", "password": "long enough"}
        async with http.post(f"{base}/api/auth/login", json=login) as response:
            assert response.status == 200
            token = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{base}/api/auth/me?token={token}", headers=headers) as response:
            assert (await response.json())["user"]["email"] == "cli@uni.edu"
    assert (data_dir / "secret").exists()
    log = (data_dir / "server.log").read_text()
    assert "GET /api/auth/me 200" in log
    assert token not in log and "long enough" not in log


def test_production_without_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET_KEY"}
    env["STUDYSYNC_ENVIRONMENT"] = "production"
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "sqlite+aiosqlite:///{tmp_path}/app.db"\n')
    result = subprocess.run(
        [sys.executable, "server.py", "serve", "--config", str(config), "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "JWT_SECRET_KEY is required" in result.stderr


def test_migrate_command_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "m.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = subprocess.run(
        [sys.executable, "server.py", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import sqlite3

    tables = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert {"users", "messages", "posts", "alembic_version"} <= tables


def test_several_workers_need_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path}/app.db"\n'
        f'jwt_secret_file = "{tmp_path}/secret"\n'
    )
    result = subprocess.run(
        [sys.executable, "server.py", "serve", "--workers", "2", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs REDIS_URL" in result.stderr


async def test_two_workers_share_the_port(tmp_path: Path) -> None:
    from tests.services import REDIS_URL, redis_prefix, require_service

    require_service("Redis", "127.0.0.1", 6379)
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path}/app.db"\n'
        f'jwt_secret_file = "{tmp_path}/secret"\nredis_prefix = "{redis_prefix()}"\n'
        '[matching]\nembedder = "hashing"\n'
    )
    env = {**os.environ, "REDIS_URL": REDIS_URL}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "server.py",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
                "--config",
                str(config),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(process, port, log_path)
            async with aiohttp.ClientSession() as http:
                for _ in range(10):
                    async with http.get(f"http://127.0.0.1:{port}/api/health") as response:
                        assert (await response.json())["redis"] == "connected"
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
    assert log_path.read_text().count("started worker-") == 2
