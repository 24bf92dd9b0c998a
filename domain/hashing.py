"""A bounded queue for slow CPU work (bcrypt): a few threads of its own, a cap on waiting jobs.

asyncio.to_thread would share the default pool with everything else and queue without limit, so
a login storm could hold every other request behind it. Here at most `concurrency` jobs run at
once and at most `queue_limit` wait; one more is refused at once with `Busy` (503, Retry-After).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from domain.errors import Busy

T = TypeVar("T")


class HashQueue:
    def __init__(self, concurrency: int, queue_limit: int, name: str = "bcrypt") -> None:
        self.concurrency = concurrency
        self.queue_limit = queue_limit
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=name)
        self._lock = threading.Lock()  # jobs finish on the pool's threads
        self._pending = 0  # running + waiting, until the job has really left the pool
        self._average_seconds = 0.1

    @property
    def pending(self) -> int:
        return self._pending

    async def run(self, job: Callable[[], T]) -> T:
        """Run `job` on the pool, or raise Busy when the queue is full."""
        with self._lock:
            if self._pending >= self.concurrency + self.queue_limit:
                raise Busy("The server is busy; try again shortly", self._retry_after())
            self._pending += 1
        try:
            future = self._pool.submit(self._timed, job)
        except BaseException:
            self._finished()
            raise
        # Counted down when the pool is done with it: a caller that gives up (its request was
        # cancelled) does not free a place while its job still runs or waits.
        future.add_done_callback(lambda _: self._finished())
        return await asyncio.wrap_future(future)

    def _timed(self, job: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return job()
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._average_seconds = 0.8 * self._average_seconds + 0.2 * elapsed

    def _finished(self) -> None:
        with self._lock:
            self._pending -= 1

    def _retry_after(self) -> int:
        """Seconds until the queue has drained, roughly (at least 1)."""
        return max(1, math.ceil(self._pending * self._average_seconds / self.concurrency))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
