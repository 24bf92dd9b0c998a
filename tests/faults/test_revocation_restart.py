"""A logged-out token stays logged out across restarts, with or without Redis (issue 13,
finding 5): the denylist lives in the database. Real server processes on one SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.faults.private_services import PrivateRedis
from tests.processes import start_server, stop_server

ALICE = {"email": "alice@uni.edu", "password": "correct horse battery", "name": "Alice"}


async def _status(url: str, method: str, path: str, token: str = "", **kwargs: Any) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{url}{path}", headers=headers, **kwargs) as response,
    ):
        return response.status


async def _two_tokens(url: str) -> tuple[str, str]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/auth/register", json=ALICE) as response:
            assert response.status == 201, await response.text()
            first = (await response.json())["token"]
        login = {"email": ALICE["email"], "password": ALICE["password"]}
        async with http.post(f"{url}/api/auth/login", json=login) as response:
            second = (await response.json())["token"]
    return first, second


async def _logout_survives_a_restart(tmp_path: Path, restart_redis: Any = None, **env: str) -> None:
    process, url = start_server(tmp_path, env=env)
    try:
        logged_out, kept = await _two_tokens(url)
        assert await _status(url, "POST", "/api/auth/logout", logged_out) == 200
        assert await _status(url, "GET", "/api/auth/me", logged_out) == 401
    finally:
        stop_server(process)
    if restart_redis is not None:
        restart_redis()
    process, url = start_server(tmp_path, env=env)
    try:
        assert await _status(url, "GET", "/api/auth/me", logged_out) == 401
        assert await _status(url, "GET", "/api/auth/me", kept) == 200
    finally:
        stop_server(process)


async def test_a_logout_survives_a_restart_without_redis(tmp_path: Path) -> None:
    await _logout_survives_a_restart(tmp_path)


async def test_a_logout_survives_restarting_server_and_redis(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    def restart_redis() -> None:  # a Redis without persistence comes back empty
        private_redis.stop()
        private_redis.start()

    await _logout_survives_a_restart(tmp_path, restart_redis, REDIS_URL=private_redis.url)
