"""Room-channel publishes of one worker go to Redis in pipelines, one in flight at a time.

A group commit answers a whole batch of sends at once, and each send then broadcasts: awaited
one by one on python-socketio's connection pool, a batch of 200 sends opened up to 200 Redis
connections (about 1 ms of CPU each to create in redis-py 8, most of it reading the package's
own metadata) and paid one round trip per message — a third of a worker's CPU at 50 × 20
saturation (docs/benchmarks.md, "Send path, second round"). Here the publishes that arrive
while one pipeline is in flight are queued and sent together in the next one: one connection,
one round trip per burst, and Redis receives them in call order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("studysync.realtime")
MAX_PIPELINE = 500  # publishes per round trip; the rest go in the next one


class PublishBatcher:
    """`publish(channel, body)` answers with Redis's receiver count (None when Redis failed
    twice, as python-socketio's own publish gives up)."""

    def __init__(self, client: Callable[[], Any], reconnect: Callable[[], None]) -> None:
        self._client = client  # the manager's current redis.asyncio client
        self._reconnect = reconnect  # makes a new one after a failure
        self._queue: list[tuple[str, bytes, asyncio.Future[int | None]]] = []
        self._writer: asyncio.Future[None] | None = None
        self.pipelines = 0  # round trips made (tests, docs)

    async def publish(self, channel: str, body: bytes) -> int | None:
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._queue.append((channel, body, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_PIPELINE], self._queue[MAX_PIPELINE:]
            results = await self._send(batch)
            for (_channel, _body, done), result in zip(batch, results, strict=True):
                if not done.done():  # its caller may have gone away: the publish still went
                    done.set_result(result)

    async def _send(self, batch: list[tuple[str, bytes, Any]]) -> list[int | None]:
        for attempt in range(2):
            try:
                pipe = self._client().pipeline(transaction=False)
                for channel, body, _done in batch:
                    pipe.spublish(channel, body)
                self.pipelines += 1
                return [int(count) for count in await pipe.execute()]
            except Exception as exc:  # noqa: BLE001 - as python-socketio's own _publish
                log.error(
                    "Cannot publish to redis... %s (%d messages)",
                    "retrying" if attempt == 0 else "giving up",
                    len(batch),
                    extra={"redis_exception": str(exc)},
                )
                self._reconnect()
        return [None] * len(batch)
