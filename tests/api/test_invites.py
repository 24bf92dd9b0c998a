"""The group directory and invite links on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from storage.engine import create_engine
from storage.tables import group_invites
from tests.api.test_groups import create_group
from tests.conftest import settings_for
from tests.helpers import expect_error, register


async def invite(client, leader, gid, **body):
    response = await client.post(f"/api/groups/{gid}/invites", json=body, headers=leader["headers"])
    assert response.status == 201, await response.text()
    return (await response.json())["invite"]


async def accept(client, account, code):
    return await client.post(f"/api/invites/{code}/accept", headers=account["headers"])


async def directory(client, account, query=""):
    response = await client.get(f"/api/groups{query}", headers=account["headers"])
    assert response.status == 200, await response.text()
    return await response.json()


async def test_directory_lists_active_groups_with_room_newest_first(client) -> None:
    alice, bob = await register(client), await register(client)
    calculus = await create_group(client, alice, title="Calculus Crew", subject="Mathematics")
    full = await create_group(client, alice, title="Full House", subject="Art", maxMembers=2)
    await client.post(f"/api/groups/{full['id']}/join", headers=bob["headers"])
    closed = await create_group(client, bob, title="Gone Group", subject="History")
    await client.post(f"/api/groups/{closed['id']}/leave", headers=bob["headers"])
    approval = await create_group(
        client, bob, title="Organic Chemistry", subject="Chemistry", joinPolicy="approval"
    )
    body = await directory(client, alice)
    assert [g["id"] for g in body["groups"]] == [approval["id"], calculus["id"]]
    assert body["hasMore"] is False
    card = body["groups"][1]
    assert card["title"] == "Calculus Crew" and card["currentMembers"] == 1
    assert "members" not in card and "role" not in card
    assert [g["id"] for g in (await directory(client, alice, "?open=true"))["groups"]] == [
        calculus["id"]
    ]
    assert [g["id"] for g in (await directory(client, alice, "?q=CHEM"))["groups"]] == [
        approval["id"]
    ]
    by_subject = await directory(client, alice, "?subject=mathematics")
    assert [g["id"] for g in by_subject["groups"]] == [calculus["id"]]
    assert (await directory(client, alice, "?q=%25"))["groups"] == []  # a literal %
    page = await directory(client, alice, "?limit=1")
    assert [g["id"] for g in page["groups"]] == [approval["id"]] and page["hasMore"]
    rest = await directory(client, alice, f"?limit=1&before={approval['id']}")
    assert [g["id"] for g in rest["groups"]] == [calculus["id"]] and not rest["hasMore"]


@pytest.mark.parametrize(
    "query",
    ["?limit=0", "?limit=201", "?before=0", "?open=maybe", "?q=" + "x" * 101, "?x=1", "?q=a%00"],
)
async def test_directory_bad_input(client, query) -> None:
    account = await register(client)
    await expect_error(await client.get(f"/api/groups{query}", headers=account["headers"]), 422)


async def test_invite_lifecycle_in_an_approval_group(client) -> None:
    leader, guest, member = await register(client), await register(client), await register(client)
    gid = (await create_group(client, leader, joinPolicy="approval"))["id"]
    created = await invite(client, leader, gid, maxUses=2, expiresHours=2)
    code = created["code"]
    assert len(code) >= 32 and created["uses"] == 0 and created["maxUses"] == 2
    assert created["url"] == f"{client.make_url('/')}#invite={code}"  # the request's origin
    expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=1, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=2)
    card = await (await client.get(f"/api/invites/{code}", headers=guest["headers"])).json()
    assert card["group"]["id"] == gid and card["membership"] is None
    joined = await accept(client, guest, code)
    assert joined.status == 200, await joined.text()
    body = await joined.json()
    assert body["status"] == "active" and body["group"]["currentMembers"] == 2
    again = await (await accept(client, guest, code)).json()
    assert again["message"] == "You are already a member"
    listed = await client.get(f"/api/groups/{gid}/invites", headers=leader["headers"])
    (item,) = (await listed.json())["invites"]
    assert item["uses"] == 1  # the repeat counted no use
    history = await client.get(f"/api/chat/{gid}/messages", headers=guest["headers"])
    assert history.status == 200  # an active member at once, no approval
    # A pending request is approved by the invite.
    await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    assert (await accept(client, member, code)).status == 200
    details = await (await client.get(f"/api/groups/{gid}", headers=member["headers"])).json()
    assert details["group"]["status"] == "active"
    await expect_error(await accept(client, await register(client), code), 410, "gone")


async def test_revoked_and_expired_invites_are_gone(client, database_url) -> None:
    leader, guest = await register(client), await register(client)
    gid = (await create_group(client, leader))["id"]
    revoked = (await invite(client, leader, gid))["code"]
    await expect_error(
        await client.delete(f"/api/invites/{revoked}", headers=guest["headers"]), 403
    )
    gone = await client.delete(f"/api/invites/{revoked}", headers=leader["headers"])
    assert gone.status == 200 and (await gone.json())["invite"]["revoked"] is True
    await expect_error(await accept(client, guest, revoked), 410, "gone")
    await expect_error(await client.get(f"/api/invites/{revoked}", headers=guest["headers"]), 410)
    expired = (await invite(client, leader, gid))["code"]
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(group_invites)
                .where(group_invites.c.code == expired)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        await engine.dispose()
    await expect_error(await accept(client, guest, expired), 410, "gone")
    membership = await client.get(f"/api/chat/{gid}/messages", headers=guest["headers"])
    await expect_error(membership, 403)


async def test_capacity_still_applies(client) -> None:
    leader, first, second = await register(client), await register(client), await register(client)
    gid = (await create_group(client, leader, maxMembers=2, joinPolicy="approval"))["id"]
    code = (await invite(client, leader, gid))["code"]
    assert (await accept(client, first, code)).status == 200
    await expect_error(await accept(client, second, code), 409, "conflict")
    listed = await client.get(f"/api/groups/{gid}/invites", headers=leader["headers"])
    assert (await listed.json())["invites"][0]["uses"] == 1  # the refused accept used nothing


async def test_parallel_accepts_of_a_single_use_invite_one_wins(client) -> None:
    leader = await register(client)
    gid = (await create_group(client, leader, maxMembers=50))["id"]
    code = (await invite(client, leader, gid, maxUses=1))["code"]
    guests = [await register(client) for _ in range(8)]
    responses = await asyncio.gather(*[accept(client, guest, code) for guest in guests])
    statuses = sorted(response.status for response in responses)
    assert statuses == [200] + [410] * 7, statuses
    group = await (await client.get(f"/api/groups/{gid}", headers=leader["headers"])).json()
    assert group["group"]["currentMembers"] == 2


async def test_parallel_accepts_never_overfill_the_group(client) -> None:
    leader = await register(client)
    gid = (await create_group(client, leader, maxMembers=3))["id"]
    code = (await invite(client, leader, gid, maxUses=100))["code"]
    guests = [await register(client) for _ in range(6)]
    responses = await asyncio.gather(*[accept(client, guest, code) for guest in guests])
    assert sorted(r.status for r in responses) == [200, 200, 409, 409, 409, 409]


async def test_only_the_leader_manages_invites(client) -> None:
    leader, member, outsider = (
        await register(client),
        await register(client),
        await register(client),
    )
    gid = (await create_group(client, leader))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=member["headers"])
    for account in (member, outsider):
        await expect_error(
            await client.post(f"/api/groups/{gid}/invites", json={}, headers=account["headers"]),
            403,
        )
        await expect_error(
            await client.get(f"/api/groups/{gid}/invites", headers=account["headers"]), 403
        )
    await expect_error(
        await client.post("/api/groups/999999/invites", json={}, headers=leader["headers"]), 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"maxUses": 0},
        {"maxUses": 101},
        {"maxUses": "1"},
        {"maxUses": 1.5},
        {"expiresHours": 0},
        {"expiresHours": 721},
        {"expiresHours": True},
        {"other": 1},
    ],
)
async def test_invite_bad_input(client, body) -> None:
    leader = await register(client)
    gid = (await create_group(client, leader))["id"]
    response = await client.post(f"/api/groups/{gid}/invites", json=body, headers=leader["headers"])
    await expect_error(response, 422)


@pytest.mark.parametrize(
    "code", ["nope", "x" * 65, "a" * 32, "%2E%2E%2Fetc", "abc$def" * 4, "%F0%9F%8E%93" * 8]
)
async def test_unknown_codes_are_not_found(client, code) -> None:
    account = await register(client)
    for method, path in (
        ("GET", f"/api/invites/{code}"),
        ("POST", f"/api/invites/{code}/accept"),
        ("DELETE", f"/api/invites/{code}"),
    ):
        response = await client.request(method, path, headers=account["headers"])
        await expect_error(response, 404)


async def test_codes_are_unique_and_random(client) -> None:
    leader = await register(client)
    gid = (await create_group(client, leader))["id"]
    codes = {(await invite(client, leader, gid))["code"] for _ in range(20)}
    assert len(codes) == 20 and all(len(code) == 32 for code in codes)


async def test_invite_links_use_the_public_url_when_it_is_set(make_client) -> None:
    """Behind a proxy the request arrives for the internal address (its Host); the link is
    shared outside, so it is built on `[email] public_url` (the default: the request's origin)."""
    email = replace(
        settings_for("sqlite+aiosqlite:///:memory:").email, public_url="https://study.example.edu/"
    )
    client = await make_client(email=email)
    leader = await register(client)
    gid = (await create_group(client, leader))["id"]
    internal = leader["headers"] | {"Host": "10.0.0.5:5000"}
    response = await client.post(f"/api/groups/{gid}/invites", json={}, headers=internal)
    created = (await response.json())["invite"]
    assert created["url"] == f"https://study.example.edu/#invite={created['code']}"
    listed = await client.get(f"/api/groups/{gid}/invites", headers=internal)
    assert [item["url"] for item in (await listed.json())["invites"]] == [created["url"]]
