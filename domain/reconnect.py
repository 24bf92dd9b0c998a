"""Reconnecting to a dependency that went away: capped exponential backoff, and one log line
per change of state (down, up again) instead of one per attempt."""

from __future__ import annotations

import asyncio
import logging

BACKOFF_START_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0


class Reconnect:
    """One per retry loop. `await failed(error)` after an attempt fails (logs the first failure
    of an outage, then waits 1, 2, 4 ... up to 30 s); `succeeded()` after one works (logs the
    recovery if there was an outage, and starts the backoff again at 1 s)."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        start: float = BACKOFF_START_SECONDS,
        cap: float = BACKOFF_CAP_SECONDS,
    ) -> None:
        self._log = log
        self._what = what
        self._start = start
        self._cap = cap
        self._delay = start
        self.down = False
        self.attempts = 0

    def next_delay(self) -> float:
        delay = self._delay
        self._delay = min(self._delay * 2, self._cap)
        return delay

    async def failed(self, error: BaseException) -> None:
        self.attempts += 1
        if not self.down:
            self.down = True
            self._log.warning(
                "%s unreachable (%s); retrying with backoff up to %.0f s",
                self._what,
                error,
                self._cap,
            )
        await asyncio.sleep(self.next_delay())

    def succeeded(self) -> None:
        if self.down:
            self._log.info("%s reachable again after %d attempts", self._what, self.attempts)
        self.down = False
        self.attempts = 0
        self._delay = self._start
