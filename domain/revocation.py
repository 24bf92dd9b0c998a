"""Single-token logout: revoked token ids are remembered until the token would expire anyway."""

from __future__ import annotations

import time
from typing import Protocol


class RevocationList(Protocol):
    async def revoke(self, token_id: str, expires_at: int) -> None: ...
    async def is_revoked(self, token_id: str) -> bool: ...


class MemoryRevocationList:
    """Per process; the Redis-backed list (storage/kv.py) is shared by every worker."""

    def __init__(self) -> None:
        self._expiry_by_id: dict[str, int] = {}

    async def revoke(self, token_id: str, expires_at: int) -> None:
        now = time.time()
        self._expiry_by_id = {k: v for k, v in self._expiry_by_id.items() if v > now}
        self._expiry_by_id[token_id] = expires_at

    async def is_revoked(self, token_id: str) -> bool:
        return self._expiry_by_id.get(token_id, 0) > time.time()
