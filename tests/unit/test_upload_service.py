"""UploadService's failure paths that a running server cannot easily provoke: the file store
failing half-way leaves no file behind and answers `unavailable`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from domain.errors import PayloadTooLarge, Unavailable
from domain.uploads import UploadLimits, UploadService


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str = "image/png"
    width: int = 4
    height: int = 4


@dataclass(frozen=True)
class Clean:
    image: Encoded
    thumbnail: Encoded


class Images:
    async def process(self, data: bytes) -> Clean:
        return Clean(Encoded(b"image"), Encoded(b"thumb"))


class FailingSecondPut:
    def __init__(self) -> None:
        self.stored: set[str] = set()

    async def put(self, data: bytes) -> str:
        if self.stored:
            raise OSError(28, "No space left on device")
        self.stored.add("first")
        return "first"

    async def delete(self, key: str) -> bool:
        self.stored.discard(key)
        return True

    def open_path(self, key: str) -> Path | None:
        return None


def no_database() -> Any:
    raise AssertionError("nothing may reach the database")


async def test_a_store_failure_half_way_leaves_nothing_and_is_unavailable() -> None:
    blobs = FailingSecondPut()
    service = UploadService(no_database, Images(), blobs, UploadLimits(100, 1000))  # type: ignore[arg-type]
    with pytest.raises(Unavailable):
        await service.create(1, b"png")
    assert blobs.stored == set()


async def test_bytes_over_the_limit_are_refused_before_decoding() -> None:
    class NeverDecode(Images):
        async def process(self, data: bytes) -> Clean:
            raise AssertionError("decoded")

    blobs = FailingSecondPut()
    service = UploadService(no_database, NeverDecode(), blobs, UploadLimits(3, 1000))  # type: ignore[arg-type]
    with pytest.raises(PayloadTooLarge):
        await service.create(1, b"four")
