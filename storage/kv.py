"""Redis-backed counters and lists shared by every worker (used when Redis is configured).

When Redis is unreachable they degrade to "allow" (no throttling, no single-token revocation)
with a warning, so an outage of the cache never takes the REST API down with it; see
docs/reliability.md for the trade-off.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from domain.errors import Unavailable

log = logging.getLogger("studysync.redis")
T = TypeVar("T")


async def _degrade(operation: Awaitable[T], fallback: T, what: str) -> T:
    try:
        return await operation
    except (RedisError, OSError) as error:
        log.warning("Redis unavailable (%s): %s", what, error)
        return fallback


class RedisWindowCounter:
    """Sliding-window event counts in sorted sets; keys expire with the window."""

    def __init__(self, client: Any, prefix: str, window_seconds: float) -> None:
        self._redis = client
        self._prefix = prefix
        self.window = window_seconds

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def count(self, key: str) -> tuple[int, float]:
        return await _degrade(self._count(key), (0, 0.0), "window counter read")

    async def _count(self, key: str) -> tuple[int, float]:
        now = time.time()
        name = self._key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, 0, now - self.window)
            pipe.zrange(name, 0, 0, withscores=True)
            pipe.zcard(name)
            _, oldest, count = await pipe.execute()
        if not count:
            return 0, 0.0
        return int(count), oldest[0][1] + self.window - now

    async def record(self, key: str) -> None:
        await _degrade(self._record(key), None, "window counter write")

    async def _record(self, key: str) -> None:
        name = self._key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {uuid.uuid4().hex: time.time()})
            pipe.expire(name, int(self.window) + 1)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await _degrade(self._redis.delete(self._key(key)), None, "window counter reset")


class RedisRevocationList:
    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    async def revoke(self, token_id: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        try:
            await self._redis.set(f"{self._prefix}:{token_id}", 1, ex=ttl)
        except (RedisError, OSError) as error:
            # A logout must not pretend to have worked.
            raise Unavailable("Logging out is unavailable right now; try again") from error

    async def is_revoked(self, token_id: str) -> bool:
        exists = self._redis.exists(f"{self._prefix}:{token_id}")
        return bool(await _degrade(exists, 0, "token denylist read"))


class RedisChangeFeed:
    """Tells the other workers that something changed, e.g. ("student", {"id": 42}), so they
    reload it or move their own sockets.

    After the subscription drops and comes back, subscribers get ("resync", {}): whatever was
    published meanwhile was missed.
    """

    def __init__(self, client: Any, channel: str) -> None:
        self._redis = client
        self._channel = channel
        self._origin = uuid.uuid4().hex  # this worker: its own messages are skipped
        self._subscribers: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []

    def subscribe(self, subscriber: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, kind: str, payload: dict[str, Any]) -> None:
        message = json.dumps({"origin": self._origin, "kind": kind, "payload": payload})
        await _degrade(self._redis.publish(self._channel, message), 0, "change feed publish")

    async def listen(self, retry_seconds: float = 1.0) -> None:
        first = True
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    if not first:
                        await self._deliver("resync", {})
                    first = False
                    async for message in pubsub.listen():
                        await self._dispatch(message)
            except (RedisError, OSError) as error:
                log.warning("change feed disconnected (%s); retrying", error)
                await asyncio.sleep(retry_seconds)

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
