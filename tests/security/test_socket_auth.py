"""Who may open a /chat socket: revoked tokens are refused, "log out everywhere" closes the
user's open sockets on every worker, and browsers are held to the allowed origins."""

from __future__ import annotations

import asyncio

from app import create_app
from tests.conftest import settings_for
from tests.helpers import register
from tests.security.sockets import base_url, closing, connect, refused
from tests.services import REDIS_URL, redis_prefix, require_service


def assert_handshake_refused(error: object) -> None:
    """Refused by engine.io's origin check (HTTP 400) before any namespace or token check ran."""
    assert not isinstance(error, dict), error


async def _wait_disconnected(*clients, timeout: float = 5.0) -> None:
    async def all_gone() -> None:
        while any(sio.connected for sio in clients):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(all_gone(), timeout)


async def test_revoked_tokens_are_refused_at_connect(aiohttp_client, sqlite_database_url) -> None:
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    url = base_url(client)
    alice = await register(client)
    login = {"email": alice["user"]["email"], "password": alice["password"]}
    second = (await (await client.post("/api/auth/login", json=login)).json())["token"]

    assert (await client.post("/api/auth/logout", headers=alice["headers"])).status == 200
    error = await refused(url, alice["token"])
    assert error["data"]["code"] == "unauthorized", error
    async with closing(await connect(url, second)):  # only that one token was revoked
        pass

    bearer = {"Authorization": f"Bearer {second}"}
    assert (await client.post("/api/auth/logout-all", headers=bearer)).status == 200
    error = await refused(url, second)
    assert error["data"]["code"] == "unauthorized", error
    fresh = (await (await client.post("/api/auth/login", json=login)).json())["token"]
    async with closing(await connect(url, fresh)):  # a new login works again
        pass


async def test_logout_all_closes_open_sockets_on_every_worker(
    aiohttp_client, sqlite_database_url
) -> None:
    """Two app instances sharing Redis stand in for two workers."""
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    settings = settings_for(sqlite_database_url, redis_url=REDIS_URL, redis_prefix=redis_prefix())
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))
    alice, bob = await register(one), await register(one)
    async with closing(
        await connect(base_url(one), alice["token"]),
        await connect(base_url(two), alice["token"]),
        await connect(base_url(two), bob["token"]),
    ) as (alice_one, alice_two, bob_two):
        assert (await one.post("/api/auth/logout-all", headers=alice["headers"])).status == 200
        await _wait_disconnected(alice_one, alice_two)
        await asyncio.sleep(0.2)
        assert bob_two.connected  # other users keep their sockets
        error = await refused(base_url(two), alice["token"])
        assert error["data"]["code"] == "unauthorized"


async def test_logout_closes_only_the_sockets_of_that_token(
    aiohttp_client, sqlite_database_url
) -> None:
    """Two app instances sharing Redis stand in for two workers."""
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    settings = settings_for(sqlite_database_url, redis_url=REDIS_URL, redis_prefix=redis_prefix())
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))
    alice = await register(one)
    login = {"email": alice["user"]["email"], "password": alice["password"]}
    other_token = (await (await one.post("/api/auth/login", json=login)).json())["token"]
    async with closing(
        await connect(base_url(one), alice["token"]),
        await connect(base_url(two), alice["token"]),
        await connect(base_url(two), other_token),
    ) as (same_one, same_two, other_two):
        assert (await one.post("/api/auth/logout", headers=alice["headers"])).status == 200
        await _wait_disconnected(same_one, same_two)
        await asyncio.sleep(0.2)
        assert other_two.connected


async def test_browser_origins_same_origin_by_default(aiohttp_client, sqlite_database_url) -> None:
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    url = base_url(client)
    alice = await register(client)
    same_origin = {"Origin": url}
    async with closing(await connect(url, alice["token"], headers=same_origin)):
        pass
    async with closing(await connect(url, alice["token"])):  # non-browser: no Origin header
        pass
    for origin in ("http://evil.example", "null", url.replace("127.0.0.1", "localhost")):
        assert_handshake_refused(await refused(url, alice["token"], headers={"Origin": origin}))


async def test_browser_origins_configured_list(aiohttp_client, sqlite_database_url) -> None:
    allowed = "https://app.studysync.example"
    settings = settings_for(sqlite_database_url, cors_origins=(allowed,))
    client = await aiohttp_client(create_app(settings))
    url = base_url(client)
    alice = await register(client)
    async with closing(await connect(url, alice["token"], headers={"Origin": allowed})):
        pass
    evil = {"Origin": "https://app.studysync.example.evil.example"}
    assert_handshake_refused(await refused(url, alice["token"], headers=evil))
