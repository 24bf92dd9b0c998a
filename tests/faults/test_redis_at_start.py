"""Redis unreachable when the server starts (a real `server.py serve` process pointed at a
private Redis's port before that Redis runs): the server starts and serves, reports not ready,
retries with capped exponential backoff and logs one line per state change; once Redis starts
on that port it recovers on its own and reports ready."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import aiohttp

from domain.reconnect import Reconnect
from tests.faults.private_services import PrivateRedis
from tests.faults.workers import Api, ChatClient, wait_for
from tests.processes import start_server, stop_server

DOWN = re.compile(r"Redis \((change feed|Socket\.IO channel) [^)]*\) unreachable")
UP = re.compile(r"Redis \((change feed|Socket\.IO channel) [^)]*\) reachable again after (\d+)")
OUTAGE_SECONDS = 9.0


def test_backoff_doubles_from_one_second_up_to_thirty() -> None:
    reconnect = Reconnect(logging.getLogger("test"), "x")
    assert [reconnect.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


async def ready_status(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, str]]:
    async with http.get(f"{base}/api/health/ready") as response:
        return response.status, await response.json()


def matches(pattern: re.Pattern[str], log: Path) -> list[re.Match[str]]:
    return [m for line in log.read_text().splitlines() if (m := pattern.search(line))]


async def test_server_starts_without_redis_and_recovers_when_it_comes(tmp_path: Path) -> None:
    redis = PrivateRedis()  # its port is chosen, nothing listens on it yet
    process, base = start_server(tmp_path, env={"REDIS_URL": redis.url, "REDIS_PREFIX": "atstart"})
    log = tmp_path / "server.log"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/api/health/live") as response:
                assert response.status == 200
            status, body = await ready_status(http, base)
            assert status == 503 and body["redis"] == "down", body
            account = await Api(http).register(base)  # REST serves (limits per worker)
            chat = ChatClient("early", account["token"])
            await chat.connect(base)  # starts the Socket.IO manager's listener too
            await asyncio.sleep(OUTAGE_SECONDS)
            down = matches(DOWN, log)
            assert sorted(m.group(1) for m in down) == ["Socket.IO channel", "change feed"], down
            assert "change feed disconnected" not in log.read_text()
            assert (await ready_status(http, base))[0] == 503

            redis.start()
            try:
                await wait_for(lambda: len(matches(UP, log)) == 2, "both listeners back", 40)
                status, body = await ready_status(http, base)
                assert status == 200 and body["redis"] == "connected", body
                # 1 s doubling: ~4-5 attempts in 9 s of outage (one a second would be ~10)
                attempts = [int(m.group(2)) for m in matches(UP, log)]
                assert all(2 <= count <= 6 for count in attempts), attempts
                assert len(matches(DOWN, log)) == 2  # no line per attempt
                await chat.close()
            finally:
                redis.stop()
    finally:
        stop_server(process)
