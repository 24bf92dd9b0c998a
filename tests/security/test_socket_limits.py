"""Abuse limits on the /chat namespace: connections per user (across workers), send rate, and
client events that try to use the reserved names `connect` / `disconnect`."""

from __future__ import annotations

import asyncio

from app import create_app
from tests.api.test_groups import create_group
from tests.conftest import settings_for
from tests.helpers import expect_error, register
from tests.security.sockets import base_url, call, closing, connect, refused
from tests.services import REDIS_URL, redis_prefix, require_service


async def test_connections_per_user_are_limited(aiohttp_client, sqlite_database_url) -> None:
    settings = settings_for(sqlite_database_url)
    settings = settings.with_overrides(chat=settings.chat.__class__(max_connections_per_user=2))
    client = await aiohttp_client(create_app(settings))
    url = base_url(client)
    alice, bob = await register(client), await register(client)
    async with closing(await connect(url, alice["token"]), await connect(url, alice["token"])) as (
        first,
        _second,
    ):
        error = await refused(url, alice["token"])
        assert error["data"]["code"] == "rate_limited", error
        async with closing(await connect(url, bob["token"])):  # the limit is per user
            pass
        await first.disconnect()
        await asyncio.sleep(0.2)
        async with closing(await connect(url, alice["token"])):  # a slot was freed
            pass


async def test_connection_limit_counts_every_worker(aiohttp_client, sqlite_database_url) -> None:
    """Two app instances sharing Redis stand in for two workers: the count is shared."""
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    base = settings_for(sqlite_database_url, redis_url=REDIS_URL, redis_prefix=redis_prefix())
    settings = base.with_overrides(chat=base.chat.__class__(max_connections_per_user=2))
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))
    alice = await register(one)
    async with closing(
        await connect(base_url(one), alice["token"]), await connect(base_url(two), alice["token"])
    ):
        for worker in (one, two):
            error = await refused(base_url(worker), alice["token"])
            assert error["data"]["code"] == "rate_limited", error
    await asyncio.sleep(0.2)
    async with closing(await connect(base_url(two), alice["token"])):  # disconnects counted
        pass


async def test_send_rate_is_limited_per_user(aiohttp_client, sqlite_database_url) -> None:
    settings = settings_for(sqlite_database_url)
    settings = settings.with_overrides(chat=settings.chat.__class__(send_rate_per_minute=3))
    client = await aiohttp_client(create_app(settings))
    alice, bob = await register(client), await register(client)
    group = await create_group(client, alice)
    await client.post(f"/api/groups/{group['id']}/join", headers=bob["headers"])
    async with closing(await connect(base_url(client), alice["token"])) as (sio,):
        for n in range(3):
            ack = await call(sio, "message:send", {"groupId": group["id"], "content": f"m{n}"})
            assert ack["ok"], ack
        ack = await call(sio, "message:send", {"groupId": group["id"], "content": "too fast"})
        assert (
            ack == {"ok": False, "error": ack["error"]} and ack["error"]["code"] == "rate_limited"
        )
        rest = await client.post(
            f"/api/chat/{group['id']}/send", json={"content": "rest"}, headers=alice["headers"]
        )
        await expect_error(rest, 429, "rate_limited")
        assert int(rest.headers["Retry-After"]) >= 1
        # A retry of an already stored clientId is not a new send and is not limited; another
        # user has their own budget.
    bob_send = await client.post(
        f"/api/chat/{group['id']}/send", json={"content": "hi"}, headers=bob["headers"]
    )
    assert bob_send.status == 201
    history = await (
        await client.get(f"/api/chat/{group['id']}/messages", headers=alice["headers"])
    ).json()
    assert [m["content"] for m in history["messages"]] == ["m0", "m1", "m2", "hi"]


async def test_clients_cannot_emit_the_reserved_connect_and_disconnect(
    aiohttp_client, sqlite_database_url
) -> None:
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    alice, mallory = await register(client), await register(client)
    group = await create_group(client, alice)
    async with closing(
        await connect(base_url(client), alice["token"]),
        await connect(base_url(client), mallory["token"]),
    ) as (alice_sio, mallory_sio):
        # A fake "disconnect" must not take alice offline; a fake "connect" must not re-run the
        # handshake with headers the client made up.
        ack = await call(alice_sio, "disconnect", "client namespace disconnect")
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
        fake = {"HTTP_AUTHORIZATION": f"Bearer {alice['token']}"}
        ack = await call(mallory_sio, "connect", fake)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
        online = await call(alice_sio, "presence:list", {"groupId": group["id"]})
        assert online == {"ok": True, "online": [alice["user"]["id"]]}
        denied = await call(mallory_sio, "messages:sync", {"groupId": group["id"]})
        assert denied["error"]["code"] == "forbidden"  # still mallory, not alice
        assert alice_sio.connected and mallory_sio.connected
