"""Which `typing` events are worth relaying: at most one start per interval per (user, group).

A start (isTyping=true) is relayed when the last relayed start of that user in that group is at
least `interval` seconds old. A stop is relayed unless it repeats a stop relayed within the
interval (it would change nothing for the others). So a burst of any length reaches the group as
at most one start and one stop per interval, and the stop after a start always goes through.

The state is bounded: only keys touched within the last interval are kept (older ones no longer
decide anything), and never more than `max_keys`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

TYPING_INTERVAL_SECONDS = 2.0
MAX_KEYS = 100_000


class TypingGate:
    def __init__(
        self,
        interval: float = TYPING_INTERVAL_SECONDS,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._max_keys = max_keys
        self._clock = clock
        # (user, group) -> (time of the last relayed event, whether it was a start); oldest first.
        self._last: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def allow(self, user_id: int, group_id: int, is_typing: bool) -> bool:
        """True when this event should be relayed (and then it is remembered)."""
        now = self._clock()
        self._forget_older_than(now - self.interval)
        key = (user_id, group_id)
        last = self._last.get(key)
        if last is not None and last[0] <= now - self.interval:
            last = None
        if last is None:
            self._last.pop(key, None)
            self._last[key] = (now, is_typing)  # newest last, so the oldest are forgotten first
            return True
        at, was_start = last
        if is_typing or not was_start:
            return False  # a start within the interval of the last, or a repeated stop
        self._last[key] = (at, False)  # the stop keeps the start's time (and place)
        return True

    def _forget_older_than(self, horizon: float) -> None:
        while self._last:
            key, (at, _start) = next(iter(self._last.items()))
            if at > horizon and len(self._last) < self._max_keys:
                return
            del self._last[key]
