"""MariaDB restarts under a running server: writes during the outage get 503 `unavailable`
(nothing stored), health says degraded, readiness 503 (liveness 200), and the pool recovers by
itself."""

from __future__ import annotations

from app import create_app
from tests.conftest import migrate_database, settings_for
from tests.helpers import expect_error, profile, register


async def test_rest_survives_a_mariadb_restart(aiohttp_client, private_mariadb) -> None:
    url = private_mariadb.create_database("outage")
    await migrate_database(url)
    client = await aiohttp_client(create_app(settings_for(url)))
    before = await register(client)

    private_mariadb.stop()
    during = await client.post("/api/auth/register", json=profile(email="during@uni.edu"))
    await expect_error(during, 503, "unavailable")
    health = await (await client.get("/api/health")).json()
    assert health["status"] == "degraded" and health["database"] == "down"
    ready = await client.get("/api/health/ready")
    assert ready.status == 503 and (await ready.json())["database"] == "down"
    assert (await client.get("/api/health/live")).status == 200
    await expect_error(await client.get("/api/auth/me", headers=before["headers"]), 503)

    private_mariadb.start()
    after = await client.post("/api/auth/register", json=profile(email="during@uni.edu"))
    assert after.status == 201, await after.text()  # the failed attempt stored nothing
    assert (await client.get("/api/auth/me", headers=before["headers"])).status == 200
    health = await (await client.get("/api/health")).json()
    assert health["database"] == "connected"
    assert (await client.get("/api/health/ready")).status == 200
