"""Replies, mentions, pins and `notification:new` with python-socketio clients against a real
server on a TCP port, on SQLite and MariaDB; both transports (websocket and polling) send."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.test_group_sessions import schedule
from tests.api.test_groups import create_group
from tests.helpers import register
from tests.realtime.test_socket_events import history, rest_send, trio


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socket_send_with_reply_and_mention(client, sockets, transport) -> None:
    accounts = [await register(client) for _ in range(3)]
    leader, member, bystander = accounts
    gid = (await create_group(client, leader))["id"]
    for account in (member, bystander):
        await client.post(f"/api/groups/{gid}/join", headers=account["headers"])
    on_leader = await sockets(leader["token"], transport=transport)
    on_member = await sockets(member["token"], transport=transport)
    on_bystander = await sockets(bystander["token"])
    parent = await rest_send(client, gid, member, "question?")
    for sock in (on_leader, on_member, on_bystander):
        assert (await sock.next("message:new"))["message"]["id"] == parent["id"]

    ack = await on_leader.ok(
        "message:send",
        {
            "groupId": gid,
            "content": "answer",
            "replyTo": parent["id"],
            "mentions": [member["user"]["id"]],
        },
    )
    message = ack["message"]
    assert message["replyTo"] == {
        "id": parent["id"],
        "userId": member["user"]["id"],
        "userName": member["user"]["name"],
        "excerpt": "question?",
        "deleted": False,
    }
    assert message["mentions"] == [member["user"]["id"]]
    for sock in (on_leader, on_member, on_bystander):
        assert (await sock.next("message:new")) == {"message": message}
    note = (await on_member.next("notification:new"))["notification"]
    assert note["type"] == "mention" and note["messageId"] == message["id"]
    assert note["groupId"] == gid and note["actor"]["id"] == leader["user"]["id"]
    stored = await client.get("/api/notifications", headers=member["headers"])
    assert (await stored.json())["notifications"] == [note]  # the pushed row is the stored one
    await on_leader.quiet("notification:new", 0)
    await on_bystander.quiet("notification:new", 0)


async def test_rest_mention_reaches_every_socket_of_the_member(client, sockets) -> None:
    gid, (leader, member, _), (_, on_member, on_outsider) = await trio(client, sockets)
    second = await sockets(member["token"])
    message = await rest_send(client, gid, leader, "hey", mentions=[member["user"]["id"]])
    for sock in (on_member, second):
        assert (await sock.next("notification:new"))["notification"]["messageId"] == message["id"]
    await on_outsider.quiet("notification:new")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"replyTo": "1"}, "replyTo"),
        ({"replyTo": 0}, "replyTo"),
        ({"mentions": [True]}, "mentions"),
        ({"mentions": list(range(1, 52))}, "mentions"),
    ],
)
async def test_malformed_socket_payloads_are_invalid_input(client, sockets, extra, field) -> None:
    gid, _, (on_leader, _, _) = await trio(client, sockets)
    error = await on_leader.error(
        "message:send", {"groupId": gid, "content": "x"} | extra, "invalid_input"
    )
    assert any(field in key for key in error["details"]), error


async def test_foreign_reply_and_outsider_mention_change_nothing(client, sockets) -> None:
    gid, (leader, member, outsider), (on_leader, on_member, on_outsider) = await trio(
        client, sockets
    )
    other = (await create_group(client, outsider, title="Other"))["id"]
    foreign = await rest_send(client, other, outsider, "not yours")
    for extra in (
        {"replyTo": foreign["id"]},
        {"replyTo": 10**12},
        {"mentions": [outsider["user"]["id"]]},
        {"mentions": [member["user"]["id"], 10**12]},
    ):
        error = await on_leader.error(
            "message:send", {"groupId": gid, "content": "x"} | extra, "invalid_input"
        )
        assert set(error["details"]) & {"replyTo", "mentions"}, error
    await on_member.quiet("message:new")
    await on_member.quiet("notification:new", 0)
    await on_outsider.quiet("notification:new", 0)
    assert await history(client, gid, leader) == []


async def test_pins_are_announced_to_the_room_once(client, sockets) -> None:
    gid, (leader, member, _), (on_leader, on_member, on_outsider) = await trio(client, sockets)
    message = await rest_send(client, gid, member, "pin me")
    answers = await asyncio.gather(
        *(
            client.post(f"/api/chat/message/{message['id']}/pin", headers=leader["headers"])
            for _ in range(4)
        )
    )
    assert [a.status for a in answers] == [200] * 4
    expected = {"groupId": gid, "messageId": message["id"], "pinned": True}
    for sock in (on_leader, on_member):
        assert await sock.next("message:pinned") == expected
    await on_member.quiet("message:pinned")
    response = await client.post(
        f"/api/chat/message/{message['id']}/pin", headers=member["headers"]
    )
    assert response.status == 403
    response = await client.delete(
        f"/api/chat/message/{message['id']}/pin", headers=leader["headers"]
    )
    assert response.status == 200
    assert await on_member.next("message:pinned") == expected | {"pinned": False}
    await on_outsider.quiet("message:pinned", 0)


async def test_every_stored_notification_is_pushed(client, sockets) -> None:
    """Join requests, approvals and session announcements: notification:new to the recipient."""
    leader, asker = await register(client), await register(client)
    gid = (await create_group(client, leader, joinPolicy="approval"))["id"]
    on_leader, on_asker = await sockets(leader["token"]), await sockets(asker["token"])
    await client.post(f"/api/groups/{gid}/join", headers=asker["headers"])
    request = (await on_leader.next("notification:new"))["notification"]
    assert request["type"] == "join_request" and request["groupId"] == gid
    url = f"/api/groups/{gid}/requests/{asker['user']['id']}/approve"
    assert (await client.post(url, headers=leader["headers"])).status == 200
    approved = (await on_asker.next("notification:new"))["notification"]
    assert approved["type"] == "request_approved"
    await schedule(client, gid, leader)
    session = (await on_asker.next("notification:new"))["notification"]
    assert session["type"] == "session_announced"
    await on_leader.quiet("notification:new")  # the actor hears of none of their own
