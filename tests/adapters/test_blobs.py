"""The local blob store: random keys, atomic writes, no path from a hostile key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.blobs import InvalidKey, LocalBlobStore


async def test_put_get_delete_and_serve(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "var" / "uploads")
    key = await store.put(b"\x89PNG data")
    assert await store.get(key) == b"\x89PNG data"
    path = store.open_path(key)
    assert path is not None and path.read_bytes() == b"\x89PNG data"
    assert path.resolve().is_relative_to((tmp_path / "var" / "uploads").resolve())
    assert await store.delete(key) is True
    assert await store.get(key) is None and store.open_path(key) is None
    assert await store.delete(key) is False


async def test_keys_are_random_url_safe_and_at_least_128_bits(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    keys = await asyncio.gather(*(store.put(b"x") for _ in range(50)))
    assert len(set(keys)) == 50
    for key in keys:
        assert len(key) == 32  # 32 base64url characters = 192 bits
        assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]  # no temp left over


@pytest.mark.parametrize(
    "key",
    [
        "../../../../etc/passwd",
        "..",
        "",
        "/etc/passwd",
        "aa/" + "b" * 29,
        "a" * 31 + "\x00",
        "a" * 31 + "/",
        "a" * 30 + "..",
        "a" * 33,
        "%2e%2e%2f" + "a" * 23,
    ],
)
async def test_a_hostile_key_never_reaches_the_file_system(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "store")
    (tmp_path / "secret").write_bytes(b"secret")
    with pytest.raises(InvalidKey):
        await store.get(key)
    with pytest.raises(InvalidKey):
        await store.delete(key)
    with pytest.raises(InvalidKey):
        store.open_path(key)
    assert (tmp_path / "secret").exists()
