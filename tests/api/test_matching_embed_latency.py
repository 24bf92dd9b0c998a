"""A profile write is searchable within 1 s on the real server with the real model (api.md
"Fast single embeds"): the write publishes ProfileChanged after commit, the worker embeds the
profile's two texts through ONNX Runtime (matching/onnx_encoder.py) and re-indexes it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import profile
from tests.processes import start_server, stop_server

pytestmark = pytest.mark.model


async def wait_for_model(http: aiohttp.ClientSession, base: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with http.get(f"{base}/api/health") as response:
            state = (await response.json())["ai_model"]
        if state != "loading":
            assert state == "loaded", state
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the model did not load")


async def register(http: aiohttp.ClientSession, base: str, **fields) -> dict[str, str]:
    async with http.post(f"{base}/api/auth/register", json=profile(**fields)) as response:
        assert response.status == 201, await response.text()
        token = (await response.json())["token"]
    return {"Authorization": f"Bearer {token}"}


async def found_first(http, base: str, headers: dict[str, str], query: str) -> int | None:
    async with http.post(
        f"{base}/api/search/people", json={"query": query, "limit": 1}, headers=headers
    ) as response:
        assert response.status == 200, await response.text()
        results = (await response.json())["results"]
    return results[0]["id"] if results else None


async def test_a_profile_write_is_searchable_within_a_second(tmp_path: Path) -> None:
    process, base = start_server(tmp_path, embedder="sentence-transformers")
    try:
        async with aiohttp.ClientSession() as http:
            await wait_for_model(http, base)
            seeker = await register(http, base, learningStyle="reading long texts quietly")
            writer = await register(http, base, learningStyle="reading long texts quietly")
            async with http.get(f"{base}/api/auth/me", headers=writer) as response:
                writer_id = (await response.json())["user"]["id"]
            query = "astrophysics telescopes and observing galaxies at night"
            await asyncio.sleep(1.0)  # both registrations embedded
            assert await found_first(http, base, seeker, query) is not None
            change = {"learningStyle": "I love astrophysics, telescopes and observing galaxies"}
            started = time.monotonic()
            async with http.patch(f"{base}/api/auth/me", json=change, headers=writer) as response:
                assert response.status == 200, await response.text()
            found_at = None
            while time.monotonic() - started < 5:
                if await found_first(http, base, seeker, query) == writer_id:
                    found_at = time.monotonic() - started
                    break
                await asyncio.sleep(0.02)
            assert found_at is not None, "the new profile text was never found"
            assert found_at < 1.0, f"searchable after {found_at:.2f} s"
        log = (tmp_path / "server.log").read_text()
        assert "single-sentence embeds use ONNX Runtime" in log
    finally:
        stop_server(process)
