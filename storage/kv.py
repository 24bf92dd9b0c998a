"""Redis-backed counters and lists shared by every worker (used when Redis is configured).

When Redis is unreachable, limits fall back to per-worker counters and reads degrade to
"allow" with a warning, so an outage of the cache never takes the REST API down with it; see
docs/reliability.md for the trade-off.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError

from domain.reconnect import BACKOFF_START_SECONDS, Reconnect
from domain.throttle import MemoryWindowCounter, Reservation

log = logging.getLogger("studysync.redis")
T = TypeVar("T")


async def _degrade(operation: Awaitable[T], fallback: T, what: str) -> T:
    try:
        return await operation
    except (RedisError, OSError) as error:
        log.warning("Redis unavailable (%s): %s", what, error)
        return fallback


_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tostring(tonumber(oldest[2]) + window - now), used}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return {1, '0', used}
"""
_COUNT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count == 0 then return {0, '0'} end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {count, tostring(tonumber(oldest[2]) + window - now)}
"""
_LOCAL = "local:"  # a slot granted by the per-worker fallback while Redis was unreachable
MAX_PIPELINE = 500  # reservations per round trip; the rest go in the next one


class RedisWindowCounter:
    """Sliding windows in sorted sets shared by every worker, checked and recorded by one
    script (Redis's clock, so workers agree). While Redis is unreachable the limits still hold
    per worker, through an in-memory counter."""

    def __init__(self, client: Redis, prefix: str, window_seconds: float) -> None:
        self._redis = client
        self._prefix = prefix
        self.window = window_seconds
        self._reserve = client.register_script(_RESERVE)
        self._count = client.register_script(_COUNT)
        self._fallback = MemoryWindowCounter(window_seconds)
        self._queued: list[tuple[list[str], list[Any], asyncio.Future[Any]]] = []
        self._writer: asyncio.Future[None] | None = None
        self.pipelines = 0  # round trips made for reservations (tests, docs)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def reserve(self, key: str, limit: int) -> Reservation:
        """One atomic check-and-record (the script). The reservations asked for while one
        pipeline is in flight go to Redis together in the next one: a burst of sends costs a
        round trip and a connection, not one each (each script still runs atomically)."""
        slot = uuid.uuid4().hex
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append(([self._key(key)], [self.window, limit, slot], done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_queued())
        try:
            granted, retry, used = await done
        except (RedisError, OSError) as error:
            log.warning("Redis unavailable (window counter): %s; limiting per worker", error)
            local = await self._fallback.reserve(key, limit)
            return replace(local, slot=_LOCAL + local.slot) if local.granted else local
        if int(granted):
            return Reservation(True, slot, used=int(used))
        return Reservation(False, retry_after=float(retry), used=int(used))

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:MAX_PIPELINE], self._queued[MAX_PIPELINE:]
            try:
                results = await self._pipelined(batch)
                if any(isinstance(result, NoScriptError) for result in results):
                    self._reserve.sha = await self._redis.script_load(_RESERVE)  # a new Redis
                    results = await self._pipelined(batch)
            except (RedisError, OSError) as error:
                results = [error] * len(batch)
            for (_keys, _args, done), result in zip(batch, results, strict=True):
                if done.done():
                    continue  # its caller went away
                if isinstance(result, BaseException):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    async def _pipelined(self, batch: list[tuple[list[str], list[Any], Any]]) -> list[Any]:
        # EVALSHA by hand: a pipeline given the Script object asks SCRIPT EXISTS first, one
        # more round trip on every burst.
        pipe = self._redis.pipeline(transaction=False)
        for keys, args, _done in batch:
            pipe.evalsha(self._reserve.sha, len(keys), *keys, *args)
        self.pipelines += 1
        return list(await pipe.execute(raise_on_error=False))

    async def release(self, key: str, slot: str) -> None:
        if slot.startswith(_LOCAL):
            await self._fallback.release(key, slot.removeprefix(_LOCAL))
            return
        await _degrade(self._redis.zrem(self._key(key), slot), None, "window counter release")

    async def count(self, key: str) -> tuple[int, float]:
        try:
            count, retry = await self._count(keys=[self._key(key)], args=[self.window])
        except (RedisError, OSError) as error:
            log.warning("Redis unavailable (window counter read): %s", error)
            return await self._fallback.count(key)
        return int(count), float(retry)

    async def reset(self, key: str) -> None:
        await self._fallback.reset(key)
        await _degrade(self._redis.delete(self._key(key)), None, "window counter reset")


class RedisChangeFeed:
    """Tells the other workers that something changed, e.g. ("student", {"id": 42}), so they
    reload it or move their own sockets.

    After the subscription drops and comes back, subscribers get ("resync", {}): whatever was
    published meanwhile was missed.
    """

    def __init__(self, client: Redis, channel: str) -> None:
        self._redis = client
        self._channel = channel
        self._origin = uuid.uuid4().hex  # this worker: its own messages are skipped
        self._subscribers: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []

    def subscribe(self, subscriber: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, kind: str, payload: dict[str, Any]) -> None:
        message = json.dumps({"origin": self._origin, "kind": kind, "payload": payload})
        await _degrade(self._redis.publish(self._channel, message), 0, "change feed publish")

    async def listen(self, retry_start: float = BACKOFF_START_SECONDS) -> None:
        """Subscribes, and after a drop (or a Redis unreachable at start) subscribes again
        with capped exponential backoff, logging once when it goes and once when it is back."""
        first = True
        reconnect = Reconnect(log, f"Redis (change feed {self._channel})", start=retry_start)
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    reconnect.succeeded()
                    if not first:
                        await self._deliver("resync", {})
                    first = False
                    async for message in pubsub.listen():
                        await self._dispatch(message)
            except (RedisError, OSError) as error:
                await reconnect.failed(error)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        data = json.loads(message["data"])
        if data["origin"] != self._origin:
            await self._deliver(data["kind"], data["payload"])

    async def _deliver(self, kind: str, payload: dict[str, Any]) -> None:
        for subscriber in self._subscribers:
            try:
                await subscriber(kind, payload)
            except Exception:
                log.exception("change feed subscriber failed on %s", kind)
