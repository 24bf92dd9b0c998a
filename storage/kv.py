"""Redis-backed counters shared by every worker (used when Redis is configured)."""

from __future__ import annotations

import time
import uuid
from typing import Any


class RedisFailureCounter:
    """Sliding-window failure counts in sorted sets; keys expire with the window."""

    def __init__(self, client: Any, prefix: str, window_seconds: float) -> None:
        self._redis = client
        self._prefix = prefix
        self.window = window_seconds

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def failures(self, key: str) -> tuple[int, float]:
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
        name = self._key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {uuid.uuid4().hex: time.time()})
            pipe.expire(name, int(self.window) + 1)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._key(key))


class RedisRevocationList:
    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    async def revoke(self, token_id: str, expires_at: int) -> None:
        ttl = max(1, expires_at - int(time.time()))
        await self._redis.set(f"{self._prefix}:{token_id}", 1, ex=ttl)

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self._redis.exists(f"{self._prefix}:{token_id}"))
