"""Replies, mentions and pins over REST, on SQLite and MariaDB (api.md "Replies, mentions, pins,
search")."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, func, select

from storage.tables import message_mentions, message_pins, message_replies, notifications, users
from tests.api.test_chat import room, send
from tests.api.test_groups import create_group
from tests.api.test_progress import query_counter
from tests.helpers import expect_error, register
from wiring.keys import ENGINE


async def history(client, gid, account, query=""):
    response = await client.get(f"/api/chat/{gid}/messages{query}", headers=account["headers"])
    assert response.status == 200, await response.text()
    return (await response.json())["messages"]


async def my_notifications(client, account):
    response = await client.get("/api/notifications", headers=account["headers"])
    return (await response.json())["notifications"]


async def count_rows(client, table) -> int:
    async with client.server.app[ENGINE].connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar())


async def test_reply_carries_the_parent_and_shows_it_deleted(client) -> None:
    gid, leader, member, _ = await room(client)
    parent = await send(client, gid, member, "Does anyone have the\nnotes " + "x" * 200)
    reply = await send(client, gid, leader, "Here they are", replyTo=parent["id"])
    quoted = reply["replyTo"]
    assert quoted["id"] == parent["id"] and quoted["userId"] == member["user"]["id"]
    assert quoted["userName"] == member["user"]["name"] and quoted["deleted"] is False
    assert len(quoted["excerpt"]) == 140 and quoted["excerpt"].endswith("…")
    assert quoted["excerpt"].startswith("Does anyone have the notes x")  # one line
    assert parent["replyTo"] is None and parent["mentions"] == []
    assert (await history(client, gid, member))[-1] == reply  # history reads the same shape

    edited = await client.patch(
        f"/api/chat/message/{parent['id']}", json={"content": "short"}, headers=member["headers"]
    )
    assert edited.status == 200
    assert (await history(client, gid, leader))[-1]["replyTo"]["excerpt"] == "short"

    response = await client.delete(f"/api/chat/message/{parent['id']}", headers=member["headers"])
    assert response.status == 200
    (after,) = await history(client, gid, leader)
    assert after["id"] == reply["id"]
    assert after["replyTo"] == {
        "id": None,
        "userId": member["user"]["id"],
        "userName": member["user"]["name"],
        "excerpt": None,
        "deleted": True,
    }


async def test_mentions_notify_the_mentioned_members_but_not_the_author(client) -> None:
    gid, leader, member, _ = await room(client)
    third = await register(client)
    await client.post(f"/api/groups/{gid}/join", headers=third["headers"])
    ids = [member["user"]["id"], leader["user"]["id"], member["user"]["id"]]  # self + duplicate
    message = await send(client, gid, leader, "@you look at this", mentions=ids)
    assert message["mentions"] == sorted({member["user"]["id"], leader["user"]["id"]})
    (note,) = await my_notifications(client, member)
    assert note["type"] == "mention" and note["read"] is False
    assert note["groupId"] == gid and note["messageId"] == message["id"]
    assert note["actor"] == {"id": leader["user"]["id"], "name": leader["user"]["name"]}
    assert note["data"]["actor"] == note["actor"] and "@you look at this" in note["text"]
    assert await my_notifications(client, leader) == []
    assert await my_notifications(client, third) == []
    assert (await history(client, gid, third))[-1]["mentions"] == message["mentions"]


@pytest.mark.parametrize(
    "extra",
    [
        {"replyTo": "1"},
        {"replyTo": 0},
        {"replyTo": 2**63},
        {"replyTo": True},
        {"mentions": "1"},
        {"mentions": [1.5]},
        {"mentions": [0]},
        {"mentions": list(range(1, 52))},
        {"mentions": None},
        {"reply_to_id": 1},
    ],
)
async def test_malformed_reply_and_mentions_are_refused(client, extra) -> None:
    gid, leader, _, _ = await room(client)
    body = {"content": "hi"} | extra
    response = await client.post(f"/api/chat/{gid}/send", json=body, headers=leader["headers"])
    await expect_error(response, 422)
    assert await history(client, gid, leader) == []


async def test_foreign_unknown_and_non_member_references_change_nothing(client) -> None:
    gid, leader, member, outsider = await room(client)
    other_gid = (await create_group(client, outsider, title="Elsewhere"))["id"]
    foreign = await send(client, other_gid, outsider, "in another group")
    pending = await register(client)
    approval = (await create_group(client, leader, title="Approval", joinPolicy="approval"))["id"]
    await client.post(f"/api/groups/{approval}/join", headers=pending["headers"])
    await client.post(f"/api/groups/{approval}/join", headers=member["headers"])
    left = await register(client)
    await client.post(f"/api/groups/{gid}/join", headers=left["headers"])
    await client.post(f"/api/groups/{gid}/leave", headers=left["headers"])
    before = await count_rows(client, notifications)

    bad = [
        ({"replyTo": foreign["id"]}, "replyTo"),
        ({"replyTo": 10**12}, "replyTo"),
        ({"mentions": [outsider["user"]["id"]]}, "mentions"),
        ({"mentions": [member["user"]["id"], 10**12]}, "mentions"),
        ({"mentions": [left["user"]["id"]]}, "mentions"),
    ]
    for extra, field in bad:
        response = await client.post(
            f"/api/chat/{gid}/send", json={"content": "x"} | extra, headers=leader["headers"]
        )
        body = await expect_error(response, 422, "invalid_input")
        assert field in body["error"]["details"], body
    response = await client.post(
        f"/api/chat/{approval}/send",
        json={"content": "x", "mentions": [pending["user"]["id"]]},
        headers=leader["headers"],
    )
    await expect_error(response, 422, "invalid_input")
    assert await history(client, gid, leader) == []
    assert await history(client, approval, leader) == []
    assert await count_rows(client, notifications) == before
    assert await count_rows(client, message_mentions) == 0
    assert await count_rows(client, message_replies) == 0


async def test_a_retried_client_id_notifies_once(client) -> None:
    gid, leader, member, _ = await room(client)
    body = {"content": "@m", "mentions": [member["user"]["id"]], "clientId": "retry-1"}
    answers = await asyncio.gather(
        *(
            client.post(f"/api/chat/{gid}/send", json=body, headers=leader["headers"])
            for _ in range(4)
        )
    )
    assert sorted(a.status for a in answers) == [200, 200, 200, 201]
    assert len(await my_notifications(client, member)) == 1


async def test_parallel_mentioning_sends_each_notify(client) -> None:
    """Sends are group-committed: every send of a batch keeps its own notifications."""
    gid, leader, member, _ = await room(client)
    sent = await asyncio.gather(
        *(send(client, gid, leader, f"ping {n}", mentions=[member["user"]["id"]]) for n in range(8))
    )
    notes = await my_notifications(client, member)
    assert sorted(n["messageId"] for n in notes) == sorted(m["id"] for m in sent)


async def test_history_reads_replies_and_mentions_without_n_plus_one(client) -> None:
    gid, leader, member, _ = await room(client)
    app = client.server.app

    async def page_queries(limit: int) -> int:
        with query_counter(app) as counted:
            page = await history(client, gid, leader, f"?limit={limit}")
        assert len(page) == limit
        return counted["n"]

    root = await send(client, gid, member, "root")
    for n in range(3):
        await send(
            client, gid, leader, f"r{n}", replyTo=root["id"], mentions=[member["user"]["id"]]
        )
    small = await page_queries(3)
    for n in range(30):
        await send(
            client, gid, member, f"s{n}", replyTo=root["id"], mentions=[leader["user"]["id"]]
        )
    assert await page_queries(30) == small


async def test_account_deletion_keeps_replies_and_drops_mentions(client) -> None:
    gid, leader, member, _ = await room(client)
    parent = await send(client, gid, member, "mine")
    await send(client, gid, leader, "re", replyTo=parent["id"], mentions=[member["user"]["id"]])
    response = await client.post(f"/api/chat/message/{parent['id']}/pin", headers=leader["headers"])
    assert response.status == 200
    async with client.server.app[ENGINE].begin() as connection:
        await connection.execute(delete(users).where(users.c.id == member["user"]["id"]))
    (reply,) = await history(client, gid, leader)
    assert reply["mentions"] == []
    assert reply["replyTo"] == {
        "id": None,
        "userId": None,
        "userName": None,
        "excerpt": None,
        "deleted": True,
    }
    assert await count_rows(client, message_pins) == 0


async def pin(client, message_id, account, method="post"):
    return await client.request(
        method.upper(), f"/api/chat/message/{message_id}/pin", headers=account["headers"]
    )


async def pins(client, gid, account):
    response = await client.get(f"/api/chat/{gid}/pins", headers=account["headers"])
    assert response.status == 200, await response.text()
    return (await response.json())["messages"]


async def test_leader_pins_and_unpins(client) -> None:
    gid, leader, member, _ = await room(client)
    first, second = await send(client, gid, member, "one"), await send(client, gid, member, "two")
    assert await pins(client, gid, member) == []
    for message in (second, first):
        response = await pin(client, message["id"], leader)
        assert response.status == 200
        assert await response.json() == {
            "success": True,
            "groupId": gid,
            "messageId": message["id"],
            "pinned": True,
        }
    assert [m["id"] for m in await pins(client, gid, member)] == [first["id"], second["id"]]
    assert (await pin(client, first["id"], leader)).status == 200  # again: no change
    assert len(await pins(client, gid, member)) == 2
    response = await pin(client, first["id"], leader, "delete")
    assert (await response.json())["pinned"] is False
    assert [m["id"] for m in await pins(client, gid, member)] == [second["id"]]
    assert (await pin(client, first["id"], leader, "delete")).status == 200


async def test_pin_refusals_change_nothing(client) -> None:
    gid, leader, member, outsider = await room(client)
    message = await send(client, gid, member, "pin me")
    other = (await create_group(client, outsider, title="Other"))["id"]
    foreign = await send(client, other, outsider, "theirs")
    await expect_error(await pin(client, message["id"], member), 403, "forbidden")
    await expect_error(await pin(client, message["id"], outsider), 403, "forbidden")
    await expect_error(await pin(client, foreign["id"], leader), 403, "forbidden")
    await expect_error(await pin(client, 10**12, leader), 404, "not_found")
    await expect_error(await pin(client, 0, leader), 404)
    await expect_error(await pin(client, message["id"], member, "delete"), 403, "forbidden")
    response = await client.get(f"/api/chat/{gid}/pins", headers=outsider["headers"])
    await expect_error(response, 403, "forbidden")
    response = await client.get(f"/api/chat/{10**12}/pins", headers=leader["headers"])
    await expect_error(response, 404, "not_found")
    assert await count_rows(client, message_pins) == 0


async def test_parallel_pins_store_one_row(client) -> None:
    gid, leader, member, _ = await room(client)
    message = await send(client, gid, member, "pin me")
    answers = await asyncio.gather(*(pin(client, message["id"], leader) for _ in range(6)))
    assert [a.status for a in answers] == [200] * 6
    assert await count_rows(client, message_pins) == 1
    deleted = await client.delete(f"/api/chat/message/{message['id']}", headers=leader["headers"])
    assert deleted.status == 200
    assert await pins(client, gid, leader) == []
