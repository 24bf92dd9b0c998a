"""Who is online: per-user socket sets, shared through Redis across workers when configured.

Never derived from the Socket.IO manager's participants, which only know the local worker.
The same store enforces the per-user connection limit: `admit` checks the count and records the
socket in one atomic step (one synchronous block in memory, one Lua script in Redis), so
simultaneous connects on any number of workers never get more than the limit in.

In Redis a socket lives as long as its worker: each worker refreshes one key of its own every
`HEARTBEAT_SECONDS` (one command, whatever its number of sockets), and a socket counts while
its worker's key exists. A crashed worker's key expires after `STALE_AFTER_SECONDS`; the
scripts then drop its sockets wherever they meet them. (Until 2026-12 the heartbeat re-scored
every socket: two commands per user every 30 s, most of an idle worker's CPU; see
docs/benchmarks.md "Connect path and idle connections".)

When Redis is unreachable, writes and counts degrade (nothing recorded, connections are
allowed) with a warning; the next heartbeat after Redis is back re-adds this worker's sockets
and removes the ones whose disconnect was lost.
"""

from __future__ import annotations

import logging
import uuid
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
USER_KEY_SECONDS = 24 * 3600  # a user's set outlives a crashed worker's leftovers this long
TOUCH_EVERY_BEATS = 120  # the live users' sets get a new expiry once an hour


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


# Every script sees a user's set through `live`: members are "<sid>@<worker>", and a member
# whose worker's key has expired (a crashed worker) is removed on the way.
_LIVE = """
local function live(key, worker_prefix)
  local alive, members = {}, {}
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    local worker = string.match(member, '@([^@]*)$') or ''
    if alive[worker] == nil then
      alive[worker] = redis.call('EXISTS', worker_prefix .. worker) == 1
    end
    if alive[worker] then
      members[#members + 1] = member
    else
      redis.call('ZREM', key, member)
    end
  end
  return members
end
"""

# Add the socket only if the user is below the limit: one script, so no other worker's connect
# can come between the count and the add. Also (re)creates this worker's key; {.., 1} when it
# had expired (this worker stalled, or Redis lost its data): the next heartbeat re-adds all.
_ADMIT = _LIVE + """
local revived = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4]) and 1 or 0
local count = #live(KEYS[1], ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if count >= tonumber(ARGV[2]) then
    return {0, 0, revived}
  end
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
  count = count + 1
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1, count, revived}
"""

_DISCONNECT = _LIVE + """
redis.call('ZREM', KEYS[1], ARGV[1])
return #live(KEYS[1], ARGV[2])
"""

_MEMBERS = _LIVE + "return live(KEYS[1], ARGV[1])"

_ONLINE = _LIVE + """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = #live(key, ARGV[1])
end
return counts
"""


class RedisPresence:
    """A set per user of "<sid>@<worker>" members, and a key per worker that expires
    `stale_after` seconds after that worker's last heartbeat. The scripts read worker keys they
    are not given in KEYS: on a Redis Cluster all `<prefix>:presence*` keys must share a slot."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        *,
        worker: str | None = None,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self.worker = worker or uuid.uuid4().hex
        self._workers = f"{prefix}:presence-worker:"
        self._worker_key = self._workers + self.worker
        self._stale_after = max(1, int(stale_after))
        self._admit = client.register_script(_ADMIT)
        self._disconnect = client.register_script(_DISCONNECT)
        self._members = client.register_script(_MEMBERS)
        self._online_counts = client.register_script(_ONLINE)
        self._resync = False  # a write was lost: the next heartbeat re-adds everything
        self._recorded = False  # a socket was admitted: this worker's key should exist
        self._lost: set[tuple[int, str]] = set()  # disconnects Redis did not get
        self._beats = 0

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:presence:{user_id}"

    def _member(self, sid: str) -> str:
        return f"{sid}@{self.worker}"

    async def admit(self, user_id: int, sid: str, limit: int) -> Admission:
        """Record a socket unless the user already has `limit` live ones on any worker."""
        try:
            return await self._admit_once(user_id, sid, limit)
        except (RedisError, OSError) as error:
            log.warning("Redis unavailable (presence connect): %s", error)
            self._resync = True
            return Admission(True)

    async def _admit_once(self, user_id: int, sid: str, limit: int) -> Admission:
        keys = [self._key(user_id), self._worker_key]
        args = [self._member(sid), limit, self._workers, self._stale_after, USER_KEY_SECONDS]
        admitted, count, revived = await self._admit(keys=keys, args=args)
        if int(revived) and self._recorded:  # not at start-up: the key expired or was lost
            self._resync = True
        self._recorded = True
        return Admission(bool(int(admitted)), first=int(count) == 1)

    async def disconnect(self, user_id: int, sid: str) -> bool:
        """Forget a socket; True when it was the user's last on any worker."""
        try:
            keys, args = [self._key(user_id)], [self._member(sid), self._workers]
            return int(await self._disconnect(keys=keys, args=args)) == 0
        except (RedisError, OSError) as error:
            log.warning("Redis unavailable (presence disconnect): %s", error)
            self._lost.add((user_id, sid))
            self._resync = True
            return False

    async def online(self, user_ids: Iterable[int]) -> list[int]:
        try:
            return await self._online(list(user_ids))
        except (RedisError, OSError) as error:
            raise Unavailable("Presence is unavailable right now; try again") from error

    async def _online(self, ids: list[int]) -> list[int]:
        if not ids:
            return []
        keys = [self._key(user_id) for user_id in ids]
        counts = await self._online_counts(keys=keys, args=[self._workers])
        return [user_id for user_id, count in zip(ids, counts, strict=True) if int(count) > 0]

    async def count(self, user_id: int) -> int:
        """Open sockets of the user on every worker (a crashed worker's until they go stale)."""
        return len(await self._live(user_id, "count"))

    async def sockets(self, user_id: int) -> list[str]:
        """The user's live socket ids on every worker (none known while Redis is down)."""
        return [member.rsplit("@", 1)[0] for member in await self._live(user_id, "sockets")]

    async def _live(self, user_id: int, what: str) -> list[str]:
        reading = self._members(keys=[self._key(user_id)], args=[self._workers])
        members = await _degrade(reading, [], what)
        return [m.decode() if isinstance(m, bytes) else m for m in members]

    async def heartbeat(self, sockets: dict[int, set[str]]) -> None:
        """Keep this worker's sockets live: one command, plus a full re-registration when
        Redis lost something (its data, or a write while it was down)."""
        previous = await self._redis.set(self._worker_key, "1", ex=self._stale_after, get=True)
        self._beats += 1
        if (previous is None and self._recorded) or self._resync:
            await self._register(sockets)
        elif self._beats % TOUCH_EVERY_BEATS == 0:
            await self._touch(sockets)

    async def _register(self, sockets: dict[int, set[str]]) -> None:
        lost, self._resync = set(self._lost), False
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id, sid in lost:
                    pipe.zrem(self._key(user_id), self._member(sid))
                for user_id, sids in sockets.items():
                    if sids:
                        pipe.zadd(self._key(user_id), {self._member(sid): 0 for sid in sids})
                        pipe.expire(self._key(user_id), USER_KEY_SECONDS)
                await pipe.execute()
        except BaseException:
            self._resync = True
            raise
        self._lost -= lost

    async def _touch(self, sockets: dict[int, set[str]]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, sids in sockets.items():
                if sids:
                    pipe.expire(self._key(user_id), USER_KEY_SECONDS)
            await pipe.execute()
