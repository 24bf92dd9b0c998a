"""Liveness and readiness probes on the real app: live answers with no dependency checked;
ready is 503 (with the /api/health body) while the database is stamped at an older migration
or a configured Redis is down. A database going away under a running server:
tests/faults/test_database_outage.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app import create_app
from storage.engine import create_engine
from storage.migrate import head_revision, upgrade
from tests.conftest import settings_for
from tests.processes import free_port

HEALTH_KEYS = {"status", "database", "redis", "ai_model", "model_name", "version"}


async def test_live_and_ready_answer_200_on_a_healthy_app(make_client: Any) -> None:
    client = await make_client()
    live = await client.get("/api/health/live")
    assert live.status == 200 and await live.json() == {"status": "alive"}
    ready = await client.get("/api/health/ready")
    body = await ready.json()
    assert ready.status == 200, body
    assert set(body) == HEALTH_KEYS and body["database"] == "connected"


async def expect_not_ready(client: Any) -> dict[str, str]:
    response = await client.get("/api/health/ready")
    body = await response.json()
    assert response.status == 503, body
    assert set(body) == HEALTH_KEYS and body["status"] == "degraded"
    assert (await client.get("/api/health/live")).status == 200  # still serving
    return body


async def test_ready_is_503_while_migrations_are_behind(aiohttp_client: Any, tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    engine = create_engine(url)
    try:
        await upgrade(engine, "0002")
    finally:
        await engine.dispose()
    client = await aiohttp_client(create_app(settings_for(url)))
    body = await expect_not_ready(client)
    assert body["database"] == "connected"  # it answers, but at an older revision
    assert head_revision() != "0002"


async def test_ready_is_503_when_a_configured_redis_is_down(make_client: Any) -> None:
    client = await make_client(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    body = await expect_not_ready(client)
    assert body["redis"] == "down"
