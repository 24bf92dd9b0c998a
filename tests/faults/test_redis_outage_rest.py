"""Redis stops under a running server: REST keeps serving (throttling and the logout denylist
degrade to allowing, with a warning), health says degraded, and everything recovers."""

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
    logout = await client.post("/api/auth/logout", headers=account["headers"])
    await expect_error(logout, 503, "unavailable")

    private_redis.start()
    assert (await client.post("/api/auth/logout", headers=account["headers"])).status == 200
    assert (await client.get("/api/auth/me", headers=account["headers"])).status == 401
    health = await (await client.get("/api/health")).json()
    assert health["redis"] == "connected"
