"""Presence in Redis lives as long as its worker (realtime/presence.py): one heartbeat command
per worker keeps every socket of it live, a crashed worker's sockets stop counting once its key
expires, and what Redis lost (its data, a write while it was down) comes back at the next beat.
Each test has its own Redis server (tests/faults/private_services.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from realtime.presence import RedisPresence
from tests.faults.private_services import PrivateRedis

PREFIX = "presence-test"


@pytest.fixture
async def client(private_redis: PrivateRedis) -> AsyncIterator[aioredis.Redis]:
    connection = aioredis.from_url(private_redis.url, socket_timeout=2)
    yield connection
    await connection.aclose()


async def _calls(client: aioredis.Redis) -> dict[str, int]:
    stats = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


async def test_the_heartbeat_is_one_command_whatever_the_number_of_sockets(client) -> None:
    worker = RedisPresence(client, PREFIX)
    sockets = {user_id: {f"s{user_id}a", f"s{user_id}b"} for user_id in range(300)}
    for user_id, sids in sockets.items():
        for sid in sids:
            assert (await worker.admit(user_id, sid, 5)).admitted
    await client.config_resetstat()
    await worker.heartbeat(sockets)
    calls = await _calls(client)
    calls.pop("config|resetstat", None)
    calls.pop("info", None)
    assert calls == {"set": 1}, calls  # was a ZADD and an EXPIRE per user: 600 commands
    assert await worker.count(7) == 2


async def test_a_crashed_workers_sockets_stop_counting_when_its_key_expires(client) -> None:
    crashed = RedisPresence(client, PREFIX, stale_after=1)
    alive = RedisPresence(client, PREFIX, stale_after=1)
    assert (await crashed.admit(1, "a", 2)).first
    assert (await crashed.admit(1, "b", 2)).admitted
    assert not (await alive.admit(1, "c", 2)).admitted  # the limit holds across workers
    await alive.heartbeat({})
    for _ in range(3):  # `crashed` beats no more; `alive` does
        await asyncio.sleep(0.5)
        await alive.heartbeat({})
    assert await alive.online([1]) == []
    assert await alive.count(1) == 0
    admission = await alive.admit(1, "c", 2)
    assert admission.admitted and admission.first
    assert await alive.sockets(1) == ["c"]


async def test_a_beating_worker_keeps_its_sockets(client) -> None:
    one = RedisPresence(client, PREFIX, stale_after=1)
    two = RedisPresence(client, PREFIX, stale_after=1)
    await one.admit(1, "a", 1)
    for _ in range(4):
        await asyncio.sleep(0.5)
        await one.heartbeat({1: {"a"}})
    assert not (await two.admit(1, "b", 1)).admitted
    assert await two.online([1, 2]) == [1]
    assert await two.sockets(1) == ["a"]
    assert await one.disconnect(1, "a")  # the last socket: announce offline


async def test_what_redis_lost_comes_back_at_the_next_heartbeat(
    client, private_redis: PrivateRedis
) -> None:
    worker = RedisPresence(client, PREFIX)
    await worker.admit(1, "a", 5)
    await worker.heartbeat({1: {"a"}})
    await asyncio.to_thread(private_redis.stop)
    assert (await worker.admit(2, "b", 5)).admitted  # degraded: allowed, nothing recorded
    assert not await worker.disconnect(1, "gone")  # degraded: not known to be the last
    await asyncio.to_thread(private_redis.start)  # empty: this Redis keeps nothing on disk
    await worker.heartbeat({1: {"a"}, 2: {"b"}})
    assert await worker.online([1, 2]) == [1, 2]
    assert sorted(await worker.sockets(1)) == ["a"]
