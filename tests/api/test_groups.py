"""Groups over REST on SQLite and MariaDB."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import expect_error, register


async def create_group(client, account, **fields):
    body = {"title": "Calculus Crew", "subject": "Mathematics"} | fields
    response = await client.post("/api/groups/create", json=body, headers=account["headers"])
    assert response.status == 201, await response.text()
    return (await response.json())["group"]


async def test_create_and_list_mine_with_roles(client) -> None:
    leader = await register(client)
    group = await create_group(client, leader, maxMembers=3, joinPolicy="approval")
    assert isinstance(group["id"], int) and group["currentMembers"] == 1
    assert group["leaderName"] == leader["user"]["name"] and group["schedule"] == "Flexible"
    mine = await (await client.get("/api/groups/mine", headers=leader["headers"])).json()
    (item,) = mine["groups"]
    assert item["role"] == "leader" and item["status"] == "active"
    assert item["unreadCount"] == 0 and item["lastMessage"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "", "subject": "x"},
        {"title": "t", "subject": "s", "maxMembers": 1},
        {"title": "t", "subject": "s", "maxMembers": 51},
        {"title": "t", "subject": "s", "maxMembers": "6"},
        {"title": "t", "subject": "s", "joinPolicy": "secret"},
        {"title": "t" * 101, "subject": "s"},
        {"title": "t", "subject": "s", "owner": 1},
    ],
)
async def test_create_rejects_bad_input(client, body) -> None:
    account = await register(client)
    response = await client.post("/api/groups/create", json=body, headers=account["headers"])
    await expect_error(response, 422, "invalid_input")
    mine = await (await client.get("/api/groups/mine", headers=account["headers"])).json()
    assert mine["groups"] == []


async def test_open_join_is_idempotent_and_capacity_is_enforced(client) -> None:
    leader, a, b = await register(client), await register(client), await register(client)
    group = await create_group(client, leader, maxMembers=2)
    url = f"/api/groups/{group['id']}/join"
    first = await (await client.post(url, headers=a["headers"])).json()
    assert first["status"] == "active" and first["message"] == "Joined the group"
    again = await (
        await client.post(url.replace("join", "request-join"), headers=a["headers"])
    ).json()
    assert again["message"] == "You are already a member"
    await expect_error(await client.post(url, headers=b["headers"]), 409, "conflict")
    details = await (await client.get(f"/api/groups/{group['id']}", headers=a["headers"])).json()
    assert [m["userId"] for m in details["group"]["members"]] == [
        leader["user"]["id"],
        a["user"]["id"],
    ]


async def test_concurrent_joins_never_exceed_capacity(client) -> None:
    leader = await register(client)
    joiners = [await register(client) for _ in range(5)]
    group = await create_group(client, leader, maxMembers=3)
    url = f"/api/groups/{group['id']}/join"
    responses = await asyncio.gather(*(client.post(url, headers=j["headers"]) for j in joiners))
    assert sorted(r.status for r in responses) == [200, 200, 409, 409, 409]
    details = await (
        await client.get(f"/api/groups/{group['id']}", headers=leader["headers"])
    ).json()
    assert details["group"]["currentMembers"] == 3


async def test_approval_flow_with_notifications(client) -> None:
    leader, asker, outsider = await register(client), await register(client), await register(client)
    group = await create_group(client, leader, joinPolicy="approval")
    gid = group["id"]
    pending = await (await client.post(f"/api/groups/{gid}/join", headers=asker["headers"])).json()
    assert pending["status"] == "pending"
    notes = await (await client.get("/api/notifications", headers=leader["headers"])).json()
    assert notes["notifications"][0]["type"] == "join_request"
    assert notes["notifications"][0]["data"]["requesterId"] == asker["user"]["id"]
    public = await (await client.get(f"/api/groups/{gid}", headers=asker["headers"])).json()
    assert "members" not in public["group"] and public["group"]["status"] == "pending"
    approve = f"/api/groups/{gid}/requests/{asker['user']['id']}/approve"
    await expect_error(await client.post(approve, headers=outsider["headers"]), 403, "forbidden")
    assert (await client.post(approve, headers=leader["headers"])).status == 200
    await expect_error(await client.post(approve, headers=leader["headers"]), 404)
    notes = await (await client.get("/api/notifications", headers=asker["headers"])).json()
    assert notes["notifications"][0]["type"] == "request_approved"
    mine = await (await client.get("/api/groups/mine", headers=asker["headers"])).json()
    assert mine["groups"][0]["status"] == "active"


async def test_reject_removes_the_request(client) -> None:
    leader, asker = await register(client), await register(client)
    gid = (await create_group(client, leader, joinPolicy="approval"))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=asker["headers"])
    reject = f"/api/groups/{gid}/requests/{asker['user']['id']}/reject"
    assert (await client.post(reject, headers=leader["headers"])).status == 200
    mine = await (await client.get("/api/groups/mine", headers=asker["headers"])).json()
    assert mine["groups"] == []


async def test_leader_leaving_hands_over_then_last_member_closes(client) -> None:
    leader, first, second = await register(client), await register(client), await register(client)
    gid = (await create_group(client, leader))["id"]
    for member in (first, second):
        await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    assert (await client.post(f"/api/groups/{gid}/leave", headers=leader["headers"])).status == 200
    details = await (await client.get(f"/api/groups/{gid}", headers=first["headers"])).json()
    assert details["group"]["leaderId"] == first["user"]["id"]
    assert details["group"]["role"] == "leader"
    await client.post(f"/api/groups/{gid}/leave", headers=first["headers"])
    await client.post(f"/api/groups/{gid}/leave", headers=second["headers"])
    await expect_error(await client.get(f"/api/groups/{gid}", headers=second["headers"]), 404)


async def test_leader_removes_member_others_cannot(client) -> None:
    leader, member, other = await register(client), await register(client), await register(client)
    gid = (await create_group(client, leader))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    await client.post(f"/api/groups/{gid}/join", headers=other["headers"])
    url = f"/api/groups/{gid}/members/{member['user']['id']}"
    await expect_error(await client.delete(url, headers=other["headers"]), 403, "forbidden")
    assert (await client.delete(url, headers=leader["headers"])).status == 200
    await expect_error(await client.delete(url, headers=leader["headers"]), 404)
    own = f"/api/groups/{gid}/members/{leader['user']['id']}"
    await expect_error(await client.delete(own, headers=leader["headers"]), 409)


async def test_unknown_group_ids(client) -> None:
    account = await register(client)
    for method, path in (
        ("GET", "/api/groups/999999"),
        ("POST", "/api/groups/999999/join"),
        ("POST", "/api/groups/999999/leave"),
    ):
        await expect_error(await client.request(method, path, headers=account["headers"]), 404)
    await expect_error(await client.get("/api/groups/abc", headers=account["headers"]), 422)
