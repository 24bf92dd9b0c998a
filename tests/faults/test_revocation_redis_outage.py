"""A "log out everywhere" made while Redis is down cannot reach the other workers through the
change feed; when the feed reconnects, each worker re-checks its sockets' token versions and
closes the revoked ones."""

from __future__ import annotations

import asyncio

from app import create_app
from tests.conftest import settings_for
from tests.faults.workers import wait_for
from tests.helpers import register
from tests.security.sockets import base_url, closing, connect


async def test_logout_all_during_a_redis_outage_closes_sockets_once_redis_is_back(
    aiohttp_client, private_redis, sqlite_database_url
) -> None:
    settings = settings_for(sqlite_database_url, redis_url=private_redis.url)
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))  # another worker
    alice, bob = await register(one), await register(one)
    async with closing(
        await connect(base_url(two), alice["token"]), await connect(base_url(two), bob["token"])
    ) as (alice_two, bob_two):
        await asyncio.to_thread(private_redis.stop)
        assert (await one.post("/api/auth/logout-all", headers=alice["headers"])).status == 200
        await asyncio.sleep(0.5)
        assert alice_two.connected  # the notice was lost with Redis
        await asyncio.to_thread(private_redis.start)
        await wait_for(lambda: not alice_two.connected, "the revoked socket to close", 30)
        assert bob_two.connected
