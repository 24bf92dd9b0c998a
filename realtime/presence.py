"""Who is online: per-user socket sets, shared through Redis across workers when configured.

Never derived from the Socket.IO manager's participants, which only know the local worker.
The same store enforces the per-user connection limit: `admit` checks the count and records the
socket in one atomic step (one synchronous block in memory, one Lua script in Redis), so
simultaneous connects on any number of workers never get more than the limit in. When Redis is
unreachable, writes and counts degrade (nothing recorded, connections are allowed) with a
warning; the heartbeat re-adds this worker's sockets once Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.exceptions import RedisError

from domain.errors import Unavailable

log = logging.getLogger("studysync.presence")
T = TypeVar("T")

STALE_AFTER_SECONDS = 90  # a crashed worker's sockets stop counting after this
HEARTBEAT_SECONDS = 30


@dataclass(frozen=True)
class Admission:
    """The outcome of `admit`: the socket was recorded (`admitted`), and it is the user's first
    open socket (`first`: announce them online)."""

    admitted: bool
    first: bool = False


class MemoryPresence:
    def __init__(self) -> None:
        self._sockets: dict[int, set[str]] = defaultdict(set)

    async def admit(self, user_id: int, sid: str, limit: int) -> Admission:
        """Record a socket unless the user already has `limit` open; no await in between."""
        sockets = self._sockets[user_id]
        if sid not in sockets and len(sockets) >= limit:
            return Admission(False)
        sockets.add(sid)
        return Admission(True, first=len(sockets) == 1)

    async def disconnect(self, user_id: int, sid: str) -> bool:
        """Forget a socket; True when it was the user's last."""
        sockets = self._sockets.get(user_id, set())
        sockets.discard(sid)
        if sockets:
            return False
        self._sockets.pop(user_id, None)
        return True

    async def online(self, user_ids: Iterable[int]) -> list[int]:
        return [user_id for user_id in user_ids if self._sockets.get(user_id)]

    async def count(self, user_id: int) -> int:
        return len(self._sockets.get(user_id, ()))

    async def sockets(self, user_id: int) -> list[str]:
        return list(self._sockets.get(user_id, ()))

    async def heartbeat(self, sockets: dict[int, set[str]]) -> None:
        return None


async def _degrade(operation: Awaitable[T], fallback: T, what: str) -> T:
    try:
        return await operation
    except (RedisError, OSError) as error:
        log.warning("Redis unavailable (presence %s): %s", what, error)
        return fallback


# Forget stale sockets, then add this one only if the user is below the limit: one script, so
# no other worker's connect can come between the count and the add.
_ADMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local known = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not known and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return {0, 0}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1, redis.call('ZCARD', KEYS[1])}
"""


class RedisPresence:
    """A sorted set per user: member = socket id, score = last heartbeat time."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._admit = client.register_script(_ADMIT)

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:presence:{user_id}"

    async def _live_count(self, pipe: Any, user_id: int) -> None:
        pipe.zremrangebyscore(self._key(user_id), 0, time.time() - STALE_AFTER_SECONDS)
        pipe.zcard(self._key(user_id))

    async def admit(self, user_id: int, sid: str, limit: int) -> Admission:
        """Record a socket unless the user already has `limit` live ones on any worker."""
        return await _degrade(self._admit_once(user_id, sid, limit), Admission(True), "connect")

    async def _admit_once(self, user_id: int, sid: str, limit: int) -> Admission:
        now = time.time()
        args = [now, now - STALE_AFTER_SECONDS, sid, limit, STALE_AFTER_SECONDS * 2]
        admitted, count = await self._admit(keys=[self._key(user_id)], args=args)
        return Admission(bool(int(admitted)), first=int(count) == 1)

    async def disconnect(self, user_id: int, sid: str) -> bool:
        return await _degrade(self._disconnect(user_id, sid), False, "disconnect")

    async def _disconnect(self, user_id: int, sid: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key(user_id), sid)
            await self._live_count(pipe, user_id)
            *_, count = await pipe.execute()
        return int(count) == 0

    async def online(self, user_ids: Iterable[int]) -> list[int]:
        try:
            return await self._online(list(user_ids))
        except (RedisError, OSError) as error:
            raise Unavailable("Presence is unavailable right now; try again") from error

    async def _online(self, ids: list[int]) -> list[int]:
        horizon = time.time() - STALE_AFTER_SECONDS
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in ids:
                pipe.zcount(self._key(user_id), horizon, "+inf")
            counts = await pipe.execute()
        return [user_id for user_id, count in zip(ids, counts, strict=True) if int(count) > 0]

    async def count(self, user_id: int) -> int:
        """Open sockets of the user on every worker (a crashed worker's until they go stale)."""
        horizon = time.time() - STALE_AFTER_SECONDS
        counting = self._redis.zcount(self._key(user_id), horizon, "+inf")
        return int(await _degrade(counting, 0, "count"))

    async def sockets(self, user_id: int) -> list[str]:
        """The user's live socket ids on every worker (none known while Redis is down)."""
        horizon = time.time() - STALE_AFTER_SECONDS
        reading = self._redis.zrangebyscore(self._key(user_id), horizon, "+inf")
        sids = await _degrade(reading, [], "sockets")
        return [sid.decode() if isinstance(sid, bytes) else sid for sid in sids]

    async def heartbeat(self, sockets: dict[int, set[str]]) -> None:
        """Refresh this worker's sockets so they do not go stale."""
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, sids in sockets.items():
                if sids:
                    pipe.zadd(self._key(user_id), dict.fromkeys(sids, now))
                    pipe.expire(self._key(user_id), STALE_AFTER_SECONDS * 2)
            await pipe.execute()
