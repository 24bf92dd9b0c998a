"""The /chat connect path reads the database once (domain/socket_access.py): the user, the
token's denylist entry and the active group ids in one transaction, with the same rules as the
HTTP token check."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from domain.errors import EmailUnverified, Unauthorized
from tests.conftest import settings_for
from tests.helpers import register
from tests.security.sockets import base_url, call, closing, connect, refused
from wiring.keys import SOCKET_ACCESS


async def _transactions(client: Any) -> float:
    """studysync_db_seconds_count: one per unit of work (storage/uow.py)."""
    text = await (await client.get("/metrics")).text()
    for family in text_string_to_metric_families(text):
        if family.name == "studysync_db_seconds":
            return sum(s.value for s in family.samples if s.name.endswith("_count"))
    raise AssertionError("no studysync_db_seconds family")


async def _settled_transactions(client: Any) -> float:
    """Once the work the joins set off in the background (notifications, pushes) is done."""
    last = await _transactions(client)
    for _ in range(50):
        await asyncio.sleep(0.1)
        now = await _transactions(client)
        if now == last:
            return now
        last = now
    raise AssertionError("the database never went quiet")


async def _group(client: Any, leader: dict[str, Any], policy: str) -> int:
    body = {"title": f"{policy} group", "subject": "Maths", "joinPolicy": policy}
    response = await client.post("/api/groups/create", json=body, headers=leader["headers"])
    assert response.status == 201, await response.text()
    return int((await response.json())["group"]["id"])


async def test_a_connect_is_one_transaction_and_joins_the_active_groups_only(
    aiohttp_client, sqlite_database_url
) -> None:
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    alice, bob = await register(client), await register(client)
    mine = await _group(client, alice, "open")
    joined = await _group(client, bob, "open")
    pending = await _group(client, bob, "approval")
    for group_id in (joined, pending):
        response = await client.post(f"/api/groups/{group_id}/join", headers=alice["headers"])
        assert response.status == 200, await response.text()

    before = await _settled_transactions(client)
    async with closing(await connect(base_url(client), alice["token"])) as (sio,):
        after = await _transactions(client)
        assert after - before == 1  # was two: the user with the token check, then the groups
        for group_id in (mine, joined):  # in the room: presence:list answers
            ack = await call(sio, "presence:list", {"groupId": group_id})
            assert ack["ok"], ack
        ack = await call(sio, "presence:list", {"groupId": pending})
        assert ack["error"]["code"] == "forbidden", ack  # pending: not in that room


async def test_the_one_read_applies_the_token_rules(aiohttp_client, sqlite_database_url) -> None:
    settings = settings_for(sqlite_database_url)
    client = await aiohttp_client(create_app(settings))
    access = client.server.app[SOCKET_ACCESS]
    alice = await register(client)
    grant = await access.authenticate(alice["token"])
    user = alice["user"]
    assert (grant.account.user_id, grant.account.name) == (user["id"], user["name"])
    assert grant.account.group_ids == ()
    assert grant.claims.token_id

    access.require_verified = True  # the [accounts] require_verified_email gate
    error = await _refusal(access, alice["token"])
    assert isinstance(error, EmailUnverified)
    access.require_verified = False

    assert (await client.post("/api/auth/logout", headers=alice["headers"])).status == 200
    assert isinstance(await _refusal(access, alice["token"]), Unauthorized)
    other = await aiohttp_client(create_app(settings))  # its denylist cache is empty: the query
    assert isinstance(await _refusal(other.server.app[SOCKET_ACCESS], alice["token"]), Unauthorized)
    url = base_url(client)
    assert (await refused(url, alice["token"]))["data"]["code"] == "unauthorized"


async def _refusal(access: Any, token: str) -> Exception:
    try:
        await access.authenticate(token)
    except Exception as error:
        return error
    raise AssertionError("the token was accepted")


async def test_the_last_disconnect_announces_offline_without_a_query(
    aiohttp_client, sqlite_database_url
) -> None:
    """The groups to tell come from the socket's rooms, which follow its user's memberships."""
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    alice, bob = await register(client), await register(client)
    group_id = await _group(client, bob, "open")
    response = await client.post(f"/api/groups/{group_id}/join", headers=alice["headers"])
    assert response.status == 200, await response.text()
    url = base_url(client)
    async with closing(await connect(url, bob["token"])) as (watcher,):
        seen: list[dict[str, Any]] = []
        watcher.on("presence", seen.append, namespace="/chat")
        alice_socket = await connect(url, alice["token"])
        before = await _settled_transactions(client)
        await alice_socket.disconnect()
        for _ in range(50):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.1)
        assert await _transactions(client) == before  # was one: the active group ids
    user_id = alice["user"]["id"]
    assert seen == [
        {"groupId": group_id, "userId": user_id, "online": True},
        {"groupId": group_id, "userId": user_id, "online": False},
    ]
