"""Login throttling per client address (per account is in tests/api/test_accounts.py):
configurable, and counted across workers when they share Redis."""

from __future__ import annotations

from app import create_app
from settings import ThrottleSettings
from tests.conftest import settings_for
from tests.helpers import expect_error, register
from tests.services import REDIS_URL, redis_prefix, require_service


async def _fail_logins(client, times: int) -> None:
    for n in range(times):
        wrong = {"email": f"nobody{n}@uni.edu", "password": "not the password"}
        response = await client.post("/api/auth/login", json=wrong)
        await expect_error(response, 401, "unauthorized")


async def test_login_is_throttled_per_address(aiohttp_client, sqlite_database_url) -> None:
    throttle = ThrottleSettings(max_failures=3, window_seconds=60)
    client = await aiohttp_client(
        create_app(settings_for(sqlite_database_url, login_throttle=throttle))
    )
    alice = await register(client)
    await _fail_logins(client, 3)  # three different accounts, one address
    right = {"email": alice["user"]["email"], "password": alice["password"]}
    blocked = await client.post("/api/auth/login", json=right)
    await expect_error(blocked, 429, "rate_limited")
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Tokens already issued keep working: throttling guards the password check only.
    assert (await client.get("/api/auth/me", headers=alice["headers"])).status == 200


async def test_login_failures_are_counted_across_workers(
    aiohttp_client, sqlite_database_url
) -> None:
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    throttle = ThrottleSettings(max_failures=4, window_seconds=60)
    settings = settings_for(
        sqlite_database_url,
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix(),
        login_throttle=throttle,
    )
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))
    alice = await register(one)
    await _fail_logins(one, 2)
    await _fail_logins(two, 2)
    right = {"email": alice["user"]["email"], "password": alice["password"]}
    await expect_error(await one.post("/api/auth/login", json=right), 429, "rate_limited")
    await expect_error(await two.post("/api/auth/login", json=right), 429, "rate_limited")
