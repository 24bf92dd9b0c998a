"""The reserve-first window counters: N reservations fired at once never exceed the limit,
in memory and through the shared Redis; a released slot is free again."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from domain.throttle import MemoryWindowCounter
from storage.kv import RedisWindowCounter
from tests.services import REDIS_URL, redis_prefix, require_service


@pytest.fixture
async def redis_counter():
    require_service("Redis", "127.0.0.1", 6379)
    client = aioredis.from_url(REDIS_URL)
    yield lambda window: RedisWindowCounter(client, redis_prefix(), window)
    await client.aclose()


async def _grants(counter, key: str, limit: int, attempts: int) -> int:
    outcomes = await asyncio.gather(*(counter.reserve(key, limit) for _ in range(attempts)))
    return sum(outcome.granted for outcome in outcomes)


async def test_memory_reservations_never_exceed_the_limit() -> None:
    counter = MemoryWindowCounter(60)
    assert await _grants(counter, "k", 5, 100) == 5
    refused = await counter.reserve("k", 5)
    assert not refused.granted and 0 < refused.retry_after <= 60 and refused.used == 5


async def test_memory_release_frees_the_slot_and_the_window_slides() -> None:
    now = [0.0]
    counter = MemoryWindowCounter(10, clock=lambda: now[0])
    first = await counter.reserve("k", 1)
    assert first.granted and not (await counter.reserve("k", 1)).granted
    await counter.release("k", first.slot)
    assert (await counter.reserve("k", 1)).granted
    now[0] = 10.5
    assert (await counter.reserve("k", 1)).granted
    assert await counter.count("k") == (1, pytest.approx(10.0))


async def test_redis_reservations_hold_across_counters(redis_counter) -> None:
    one, two = redis_counter(60), redis_counter(60)
    one._prefix = two._prefix  # two workers sharing one prefix
    grants = await asyncio.gather(_grants(one, "k", 7, 50), _grants(two, "k", 7, 50))
    assert sum(grants) == 7
    assert (await one.count("k"))[0] == 7


async def test_a_burst_of_redis_reservations_shares_round_trips_and_a_connection() -> None:
    """As a group commit's burst of sends does: 200 reservations at once go to Redis in a
    few pipelines over one connection (was 200 round trips on up to 100 connections), and
    the limit is still exact."""
    require_service("Redis", "127.0.0.1", 6379)
    pool = aioredis.BlockingConnectionPool.from_url(REDIS_URL, max_connections=100)
    client = aioredis.Redis(connection_pool=pool)
    counter = RedisWindowCounter(client, redis_prefix(), 60)
    try:
        keys = [f"send:{n % 20}" for n in range(200)]  # 20 users, 10 sends each
        outcomes = await asyncio.gather(*(counter.reserve(key, 4) for key in keys))
        assert sum(outcome.granted for outcome in outcomes) == 20 * 4
        assert counter.pipelines <= 3
        assert len(pool._available_connections) + len(pool._in_use_connections) == 1
        counter._reserve.sha = "0" * 40  # a script Redis does not know (as after a restart)
        assert (await counter.reserve("send:new", 4)).granted
    finally:
        await client.aclose()
        await pool.aclose()


async def test_redis_release_and_reset(redis_counter) -> None:
    counter = redis_counter(60)
    granted = await counter.reserve("k", 1)
    assert granted.granted and granted.used == 0
    assert not (await counter.reserve("k", 1)).granted
    await counter.release("k", granted.slot)
    assert (await counter.reserve("k", 1)).granted
    await counter.reset("k")
    assert await counter.count("k") == (0, 0.0)


async def test_redis_down_still_limits_per_worker() -> None:
    client = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    counter = RedisWindowCounter(client, "nowhere", 60)
    try:
        assert await _grants(counter, "k", 3, 10) == 3
        slot = (await counter.reserve("other", 3)).slot
        await counter.release("other", slot)
        assert (await counter.count("other"))[0] == 0
    finally:
        await client.aclose()


async def test_memory_counter_forgets_keys_that_are_never_used_again() -> None:
    now = [0.0]
    counter = MemoryWindowCounter(10, clock=lambda: now[0])
    for user in range(1000):
        assert (await counter.reserve(f"send:{user}", 5)).granted
    now[0] = 11.0
    assert (await counter.reserve("send:new", 5)).granted  # one sweep per window
    assert list(counter._events) == ["send:new"]


async def test_memory_counter_forgets_keys_nobody_used_for_a_window() -> None:
    now = [0.0]
    counter = MemoryWindowCounter(10, clock=lambda: now[0])
    for n in range(100):  # one-off keys, e.g. made-up emails
        await counter.reserve(f"ghost{n}", 5)
    now[0] = 10.5
    await counter.reserve("fresh", 5)
    assert set(counter._events) == {"fresh"}
