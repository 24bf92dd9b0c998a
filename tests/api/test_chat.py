"""Chat over REST on SQLite and MariaDB."""

from __future__ import annotations

import pytest

from tests.api.test_groups import create_group
from tests.helpers import expect_error, register


async def room(client):
    """A group with a leader and a member; returns (group_id, leader, member, outsider)."""
    leader, member, outsider = (
        await register(client),
        await register(client),
        await register(client),
    )
    gid = (await create_group(client, leader))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    return gid, leader, member, outsider


async def send(client, gid, account, content="hello", **extra):
    response = await client.post(
        f"/api/chat/{gid}/send", json={"content": content} | extra, headers=account["headers"]
    )
    assert response.status in (200, 201), await response.text()
    return (await response.json())["message"]


async def test_send_history_cursors_and_has_more(client) -> None:
    gid, leader, member, _ = await room(client)
    sent = [await send(client, gid, leader if i % 2 else member, f"m{i}") for i in range(5)]
    assert sent[0]["timestamp"].endswith("Z") and sent[0]["userName"] == member["user"]["name"]
    ids = [m["id"] for m in sent]
    assert ids == sorted(ids)
    newest = await (
        await client.get(f"/api/chat/{gid}/messages?limit=2", headers=leader["headers"])
    ).json()
    assert [m["content"] for m in newest["messages"]] == ["m3", "m4"] and newest["hasMore"]
    older = await (
        await client.get(
            f"/api/chat/{gid}/messages?before={ids[3]}&limit=2", headers=leader["headers"]
        )
    ).json()
    assert [m["content"] for m in older["messages"]] == ["m1", "m2"] and older["hasMore"]
    after = await (
        await client.get(f"/api/chat/{gid}/messages?after={ids[1]}", headers=leader["headers"])
    ).json()
    assert [m["id"] for m in after["messages"]] == ids[2:] and not after["hasMore"]


async def test_client_id_makes_sends_idempotent(client) -> None:
    gid, leader, _, _ = await room(client)
    first = await client.post(
        f"/api/chat/{gid}/send",
        json={"content": "once", "clientId": "c-1"},
        headers=leader["headers"],
    )
    again = await client.post(
        f"/api/chat/{gid}/message",
        json={"content": "once", "client_id": "c-1"},
        headers=leader["headers"],
    )
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["message"]["id"] == (await again.json())["message"]["id"]
    history = await (
        await client.get(f"/api/chat/{gid}/messages", headers=leader["headers"])
    ).json()
    assert len(history["messages"]) == 1


async def test_only_active_members_read_or_write(client) -> None:
    gid, leader, member, outsider = await room(client)
    message = await send(client, gid, leader)
    h = outsider["headers"]
    await expect_error(await client.get(f"/api/chat/{gid}/messages", headers=h), 403, "forbidden")
    await expect_error(
        await client.post(f"/api/chat/{gid}/send", json={"content": "x"}, headers=h),
        403,
        "forbidden",
    )
    await expect_error(
        await client.post(
            f"/api/chat/message/{message['id']}/react", json={"emoji": "👍"}, headers=h
        ),
        403,
    )
    await expect_error(await client.get("/api/chat/999999/messages", headers=h), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 4001}, "content"),
        ({"content": 5}, "content"),
        ({"content": "hi", "messageType": "file"}, "messageType"),
        ({"content": "", "messageType": "image", "imageUrl": "javascript:alert(1)"}, "imageUrl"),
        ({"content": "hi", "clientId": "x" * 65}, "clientId"),
        ({"text": "hi"}, "text"),
    ],
)
async def test_bad_messages_are_refused_and_not_stored(client, body, field) -> None:
    gid, leader, _, _ = await room(client)
    response = await client.post(f"/api/chat/{gid}/send", json=body, headers=leader["headers"])
    error = await expect_error(response, 422, "invalid_input")
    assert any(field in key for key in error["error"]["details"]), error
    history = await (
        await client.get(f"/api/chat/{gid}/messages", headers=leader["headers"])
    ).json()
    assert history["messages"] == []


async def test_image_and_announcement_rules(client) -> None:
    gid, leader, member, _ = await room(client)
    image = await send(
        client, gid, member, "", messageType="image", imageUrl="https://example.edu/whiteboard.png"
    )
    assert image["messageType"] == "image" and image["content"] == ""
    response = await client.post(
        f"/api/chat/{gid}/send",
        json={"content": "Exam moved", "messageType": "announcement"},
        headers=member["headers"],
    )
    await expect_error(response, 403, "forbidden")
    notice = await send(client, gid, leader, "Exam moved", messageType="announcement")
    assert notice["messageType"] == "announcement"


async def test_reactions_toggle_and_group_by_emoji(client) -> None:
    gid, leader, member, _ = await room(client)
    message = await send(client, gid, leader)
    url = f"/api/chat/message/{message['id']}/react"
    for account, emoji in ((leader, "👍"), (member, "👍"), (member, "🎉")):
        await client.post(url, json={"emoji": emoji}, headers=account["headers"])
    body = await (await client.post(url, json={"emoji": "🎉"}, headers=member["headers"])).json()
    assert body["reactions"] == [
        {"emoji": "👍", "count": 2, "userIds": [leader["user"]["id"], member["user"]["id"]]}
    ]
    for bad in ("", "ab", "👍👍", "x" * 17, "a🙂"):
        response = await client.post(url, json={"emoji": bad}, headers=member["headers"])
        await expect_error(response, 422, "invalid_input")
    flag = await client.post(url, json={"emoji": "🇺🇸"}, headers=member["headers"])
    family = await client.post(url, json={"emoji": "👨‍💻"}, headers=member["headers"])
    assert flag.status == 200 and family.status == 200


async def test_edit_and_delete_rules(client) -> None:
    gid, leader, member, _ = await room(client)
    mine = await send(client, gid, member, "typo")
    url = f"/api/chat/message/{mine['id']}"
    await expect_error(
        await client.patch(url, json={"content": "hijack"}, headers=leader["headers"]), 403
    )
    edited = await (
        await client.patch(url, json={"content": "fixed"}, headers=member["headers"])
    ).json()
    assert edited["message"]["content"] == "fixed" and edited["message"]["editedAt"]
    leaders = await send(client, gid, leader, "leader's")
    await expect_error(
        await client.delete(f"/api/chat/message/{leaders['id']}", headers=member["headers"]), 403
    )
    assert (await client.delete(url, headers=leader["headers"])).status == 200  # leader moderates
    await expect_error(await client.delete(url, headers=leader["headers"]), 404)


async def test_read_markers_and_unread_counts(client) -> None:
    gid, leader, member, _ = await room(client)
    sent = [await send(client, gid, leader, f"m{i}") for i in range(3)]
    mine = await (await client.get("/api/groups/mine", headers=member["headers"])).json()
    assert mine["groups"][0]["unreadCount"] == 3
    assert mine["groups"][0]["lastMessage"]["content"] == "m2"
    read = await client.post(
        f"/api/chat/{gid}/read", json={"messageId": sent[1]["id"]}, headers=member["headers"]
    )
    assert (await read.json())["unread"] == 1
    back = await client.post(
        f"/api/chat/{gid}/read", json={"messageId": sent[0]["id"]}, headers=member["headers"]
    )
    assert (await back.json())["unread"] == 1  # the marker never moves back
    await expect_error(
        await client.post(
            f"/api/chat/{gid}/read", json={"messageId": 999999}, headers=member["headers"]
        ),
        404,
    )


async def test_history_query_validation(client) -> None:
    gid, leader, _, _ = await room(client)
    for query in ("limit=0", "limit=201", "limit=abc", "after=1&before=5", "after=-1", "x=1"):
        response = await client.get(f"/api/chat/{gid}/messages?{query}", headers=leader["headers"])
        await expect_error(response, 422, "invalid_input")
