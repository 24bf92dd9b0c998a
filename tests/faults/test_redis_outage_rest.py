"""Redis stops under a running server: REST keeps serving (throttling degrades to per-worker
limits, with a warning; logout needs only the database), health says degraded, and everything
recovers."""

from __future__ import annotations

from app import create_app
from tests.conftest import settings_for
from tests.helpers import expect_error, register


async def test_rest_keeps_serving_without_redis(
    aiohttp_client, private_redis, sqlite_database_url
) -> None:
    settings = settings_for(sqlite_database_url, redis_url=private_redis.url)
    client = await aiohttp_client(create_app(settings))
    account = await register(client)
    login = {"email": account["user"]["email"], "password": account["password"]}
    assert (await client.post("/api/auth/login", json=login)).status == 200

    private_redis.stop()
    assert (await client.post("/api/auth/login", json=login)).status == 200
    assert (await client.get("/api/auth/me", headers=account["headers"])).status == 200
    health = await (await client.get("/api/health")).json()
    assert health["status"] == "degraded" and health["redis"] == "down"
    # The denylist is in the database: a logout during the outage works, and holds.
    assert (await client.post("/api/auth/logout", headers=account["headers"])).status == 200
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)

    private_redis.start()
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)
    health = await (await client.get("/api/health")).json()
    assert health["redis"] == "connected"
