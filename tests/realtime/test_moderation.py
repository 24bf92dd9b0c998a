"""Moderation rules on both transports (docs/moderation.md): blocks, reports, mutes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from settings import AccountsSettings
from storage.tables import group_mutes
from tests.api.test_groups import create_group
from tests.helpers import expect_error, register
from wiring.keys import ENGINE

ADMIN = "moderator@uni.edu"


@pytest.fixture
async def client(make_client: Any) -> Any:
    return await make_client(accounts=AccountsSettings(admins=(ADMIN,)))


async def group_of(client: Any, size: int) -> tuple[int, list[dict[str, Any]]]:
    """A group led by the first of `size` accounts, the others active members."""
    accounts = [await register(client) for _ in range(size)]
    group_id = (await create_group(client, accounts[0], maxMembers=20))["id"]
    for account in accounts[1:]:
        response = await client.post(f"/api/groups/{group_id}/join", headers=account["headers"])
        assert response.status == 200
    return group_id, accounts


async def send(client: Any, group_id: int, account: dict[str, Any], text: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/chat/{group_id}/send", json={"content": text}, headers=account["headers"]
    )
    assert response.status == 201, await response.text()
    return (await response.json())["message"]


async def history(client: Any, group_id: int, account: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"/api/chat/{group_id}/messages", headers=account["headers"])
    assert response.status == 200
    return (await response.json())["messages"]


async def test_blocked_authors_are_marked_in_the_blockers_history_only(client, sockets) -> None:
    group_id, (leader, alice, bob) = await group_of(client, 3)
    await send(client, group_id, bob, "from bob")
    await send(client, group_id, leader, "from the leader")
    url = f"/api/users/{bob['user']['id']}/block"
    assert (await client.post(url, headers=alice["headers"])).status == 201
    assert (await client.post(url, headers=alice["headers"])).status == 200  # unchanged
    listed = await (await client.get("/api/users/blocked", headers=alice["headers"])).json()
    assert [u["id"] for u in listed["users"]] == [bob["user"]["id"]]

    seen = {m["content"]: m.get("hiddenByBlock") for m in await history(client, group_id, alice)}
    assert seen == {"from bob": True, "from the leader": None}
    others = await history(client, group_id, leader)
    assert all("hiddenByBlock" not in m for m in others)
    sock = await sockets(alice["token"])  # the socket's catch-up says the same
    synced = await sock.ok("messages:sync", {"groupId": group_id})
    assert [m.get("hiddenByBlock") for m in synced["messages"]] == [True, None]

    assert (await client.delete(url, headers=alice["headers"])).status == 200
    assert all("hiddenByBlock" not in m for m in await history(client, group_id, alice))


async def test_block_refusals(client) -> None:
    alice = await register(client)
    own = f"/api/users/{alice['user']['id']}/block"
    await expect_error(await client.post(own, headers=alice["headers"]), 422, "invalid_input")
    missing = "/api/users/987654/block"
    await expect_error(await client.post(missing, headers=alice["headers"]), 404, "not_found")


async def test_three_reporters_at_once_hide_the_message_exactly_once(client, sockets) -> None:
    group_id, accounts = await group_of(client, 5)
    leader, author, *reporters = accounts
    admin = await register(client, email=ADMIN)
    message = await send(client, group_id, author, "buy cheap essays")
    watcher = await sockets(leader["token"])

    async def report(account: dict[str, Any]) -> int:
        response = await client.post(
            f"/api/chat/message/{message['id']}/report",
            json={"reason": "spam", "note": "advertising"},
            headers=account["headers"],
        )
        return response.status

    assert await asyncio.gather(*(report(a) for a in reporters)) == [201, 201, 201]
    deleted = await watcher.next("message:deleted")
    assert deleted == {"groupId": group_id, "messageId": message["id"]}
    await watcher.quiet("message:deleted")  # hidden once, not three times
    assert message["id"] not in [m["id"] for m in await history(client, group_id, leader)]
    await expect_error(
        await client.post(
            f"/api/chat/message/{message['id']}/report",
            json={"reason": "spam"},
            headers=reporters[0]["headers"],
        ),
        409,
        "conflict",
    )

    notes = await (await client.get("/api/notifications", headers=leader["headers"])).json()
    reports = [n for n in notes["notifications"] if n["type"] == "report"]
    assert len(reports) == 3 and reports[0]["messageId"] == message["id"]
    assert reports[0]["actor"] is None  # the reporter is not named to the leader
    assert (await watcher.next("notification:new"))["notification"]["type"] == "report"
    admin_notes = await (await client.get("/api/notifications", headers=admin["headers"])).json()
    assert len([n for n in admin_notes["notifications"] if n["type"] == "report"]) == 3

    listed = await client.get("/api/admin/reports", headers=admin["headers"])
    body = await listed.json()
    assert listed.status == 200 and len(body["reports"]) == 3
    assert {r["messageHidden"] for r in body["reports"]} == {True}
    assert {r["reporterId"] for r in body["reports"]} == {r["user"]["id"] for r in reporters}
    await expect_error(await client.get("/api/admin/reports", headers=leader["headers"]), 403)

    restore = f"/api/admin/messages/{message['id']}/restore"
    assert (await client.post(restore, headers=admin["headers"])).status == 200
    assert (await watcher.next("message:updated"))["message"]["id"] == message["id"]
    assert message["id"] in [m["id"] for m in await history(client, group_id, leader)]
    still_open = await (await client.get("/api/admin/reports", headers=admin["headers"])).json()
    assert still_open["reports"] == []

    gone = f"/api/admin/messages/{message['id']}"
    assert (await client.delete(gone, headers=admin["headers"])).status == 200
    assert (await watcher.next("message:deleted"))["messageId"] == message["id"]


async def test_report_refusals(client) -> None:
    group_id, (leader, author) = await group_of(client, 2)
    outsider = await register(client)
    message = await send(client, group_id, author, "hello")
    url = f"/api/chat/message/{message['id']}/report"
    own = await client.post(url, json={"reason": "spam"}, headers=author["headers"])
    await expect_error(own, 422, "invalid_input")
    bad = await client.post(url, json={"reason": "boring"}, headers=leader["headers"])
    await expect_error(bad, 422, "invalid_input")
    stranger = await client.post(url, json={"reason": "spam"}, headers=outsider["headers"])
    await expect_error(stranger, 403, "forbidden")
    nowhere = await client.post(
        "/api/chat/message/987654/report", json={"reason": "spam"}, headers=leader["headers"]
    )
    await expect_error(nowhere, 404, "not_found")


async def test_a_muted_member_is_refused_on_both_transports(client, sockets) -> None:
    group_id, (leader, member) = await group_of(client, 2)
    mute = f"/api/groups/{group_id}/members/{member['user']['id']}/mute"
    refused = await client.post(mute, json={"minutes": 5}, headers=member["headers"])
    await expect_error(refused, 403, "forbidden")  # only the leader mutes
    for minutes in (0, 10081, "5"):
        wrong = await client.post(mute, json={"minutes": minutes}, headers=leader["headers"])
        await expect_error(wrong, 422, "invalid_input")
    muted = await client.post(mute, json={"minutes": 5}, headers=leader["headers"])
    assert muted.status == 200 and (await muted.json())["mute"]["userId"] == member["user"]["id"]

    rest = await client.post(
        f"/api/chat/{group_id}/send", json={"content": "hi"}, headers=member["headers"]
    )
    body = await expect_error(rest, 403, "muted")
    assert body["error"]["details"]["reason"] == "muted"
    sock = await sockets(member["token"])
    error = await sock.error("message:send", {"groupId": group_id, "content": "hi"}, "forbidden")
    assert error["details"]["reason"] == "muted"
    assert await history(client, group_id, leader) == []  # nothing was stored

    assert (await client.delete(mute, headers=leader["headers"])).status == 200
    await sock.ok("message:send", {"groupId": group_id, "content": "back"})


async def test_a_mute_ends_by_itself(client) -> None:
    group_id, (leader, member) = await group_of(client, 2)
    mute = f"/api/groups/{group_id}/members/{member['user']['id']}/mute"
    assert (await client.post(mute, json={"minutes": 1}, headers=leader["headers"])).status == 200
    # Move the end into the past, as a minute passing would.
    async with client.server.app[ENGINE].begin() as connection:
        await connection.execute(
            update(group_mutes).values(until=datetime.now(UTC) - timedelta(seconds=1))
        )
    await send(client, group_id, member, "free again")
