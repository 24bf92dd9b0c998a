"""Single-token logout. The database's denylist (uow.revocations) is the source of truth, so a
logout survives restarts on every configuration; this per-worker cache only spares a query for
tokens already known to be revoked."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RevokedTokenCache:
    """Token ids known to be revoked, each until its token would have expired. Bounded: the
    oldest entries are dropped first (the database still has them)."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._expiry_by_id: OrderedDict[str, float] = OrderedDict()

    def remember(self, token_id: str, expires_at: float) -> None:
        self._expiry_by_id[token_id] = expires_at
        self._expiry_by_id.move_to_end(token_id)
        while len(self._expiry_by_id) > self._max_entries:
            self._expiry_by_id.popitem(last=False)

    def is_known(self, token_id: str) -> bool:
        expires_at = self._expiry_by_id.get(token_id)
        if expires_at is None:
            return False
        if expires_at <= self._clock():
            del self._expiry_by_id[token_id]
            return False
        return True
