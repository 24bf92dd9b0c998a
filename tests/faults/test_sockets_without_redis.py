"""Sockets while Redis is down: new connections are still accepted (presence and the per-user
connection count degrade to allow), presence:list answers `unavailable`, sends are acked."""

from __future__ import annotations

import asyncio

from app import create_app
from tests.api.test_groups import create_group
from tests.conftest import settings_for
from tests.helpers import register
from tests.security.sockets import base_url, call, closing, connect


async def test_sockets_connect_and_send_while_redis_is_down(
    aiohttp_client, private_redis, sqlite_database_url
) -> None:
    client = await aiohttp_client(
        create_app(settings_for(sqlite_database_url, redis_url=private_redis.url))
    )
    alice = await register(client)
    group = await create_group(client, alice)
    await asyncio.to_thread(private_redis.stop)
    async with closing(await connect(base_url(client), alice["token"])) as (sio,):
        ack = await call(sio, "message:send", {"groupId": group["id"], "content": "still here"})
        assert ack["ok"], ack
        ack = await call(sio, "presence:list", {"groupId": group["id"]})
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
        await asyncio.to_thread(private_redis.start)
        ack = await call(sio, "presence:list", {"groupId": group["id"]})
        assert ack["ok"], ack  # answers again (this socket reappears at the next heartbeat)
