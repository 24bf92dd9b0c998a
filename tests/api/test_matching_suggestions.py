"""Suggested groups, from-suggestion, dismiss, exclusions and subject filters over HTTP (api.md
"Matching, second version"), with the hashing stand-in for the model, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from domain.events import NotificationCreated
from matching.profile import schedule_mask
from storage.tables import group_members, matching_dismissals, study_groups
from storage.types import utcnow
from tests.api.test_matching_api import EVENINGS, add_group, recommend, settle
from tests.helpers import expect_error, register
from wiring.keys import ENGINE, PUBLISHER

SUNDAY_NIGHT = {"Sunday": ["Night (9-12 AM)"]}


def student(subjects: list[str], schedule: dict[str, list[str]], size: int = 3, **more):
    prefs = {"groupSize": size, "sessionDuration": 90, "studyGoals": ["exam prep"]}
    return {"subjects": subjects, "schedule": schedule, "groupPreferences": prefs, **more}


async def population(client) -> dict[str, dict]:
    """me and two free classmates; one classmate already in a Mathematics group, one who is
    never free when I am, one who studies something else."""
    people = {
        "me": await register(client, **student(["Mathematics"], EVENINGS)),
        "a": await register(client, **student(["mathematics"], EVENINGS)),
        "b": await register(client, **student(["Mathematics", "Physics"], EVENINGS)),
        "grouped": await register(client, **student(["Mathematics"], EVENINGS)),
        "apart": await register(client, **student(["Mathematics"], SUNDAY_NIGHT)),
        "history": await register(client, **student(["History"], EVENINGS)),
    }
    await settle(client)
    leader = people["grouped"]["user"]["id"]
    await add_group(client, leader, [leader], max_members=2, title="Full", subject="mathematics")
    return people


def ids(people: dict[str, dict], *names: str) -> set[int]:
    return {people[n]["user"]["id"] for n in names}


async def test_suggested_groups_only_free_students_who_share_a_slot_and_a_subject(client) -> None:
    people = await population(client)
    me = people["me"]
    body = await recommend(client, me, kind="suggested")
    suggested = body["suggestedGroups"]
    assert 1 <= len(suggested) <= 3
    assert body["partners"] == [] and [c["kind"] for c in body["recommendations"]] == ["create"]
    for group in suggested:
        members = [m["id"] for m in group["members"]]
        assert members[0] == me["user"]["id"]  # the caller first
        assert set(members) <= ids(people, "me", "a", "b")  # free, can meet, same subject
        assert 2 <= group["size"] == len(members) <= 3 + 1
        assert "Mathematics" in group["subjects"]
        assert {"day": "Monday", "slot": "evening"} in group["commonSlots"]
        assert len(group["key"]) == 20 and isinstance(group["matchPercentage"], int)
        assert "least-matched member" in group["explanation"]
    # The best proposal is the three of us (groupSize 3), and keys are stable across calls.
    assert {m["id"] for m in suggested[0]["members"]} == ids(people, "me", "a", "b")
    again = await recommend(client, me, kind="suggested")
    assert [g["key"] for g in again["suggestedGroups"]] == [g["key"] for g in suggested]
    both = await recommend(client, me, kind="both")
    assert [g["key"] for g in both["suggestedGroups"]] == [g["key"] for g in suggested]
    assert (await recommend(client, me, kind="groups"))["suggestedGroups"] == []


async def test_no_schedule_means_no_suggestions_and_a_hint(client) -> None:
    me = await register(client, **student(["Mathematics"], {}))
    await register(client, **student(["Mathematics"], EVENINGS))
    await settle(client)
    body = await recommend(client, me, kind="both")
    assert body["suggestedGroups"] == [] and body["hint"]


async def test_from_suggestion_creates_the_group_and_invites_the_others(client) -> None:
    people = await population(client)
    me, a = people["me"], people["a"]
    published: list[NotificationCreated] = []

    async def record(event: NotificationCreated) -> None:
        published.append(event)

    client.server.app[PUBLISHER].subscribe(NotificationCreated, record)
    (best, *_) = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    response = await client.post(
        "/api/groups/from-suggestion", json={"key": best["key"]}, headers=me["headers"]
    )
    assert response.status == 201, await response.text()
    group = (await response.json())["group"]
    assert group["title"] == "Mathematics study group" and group["subject"] == "Mathematics"
    assert group["currentMembers"] == 1 and group["maxMembers"] == 3
    invited = {m["id"] for m in best["members"][1:]}
    assert {e.notification.user_id for e in published} == invited
    for event in published:
        assert event.notification.type == "invite"
        assert event.notification.data == {
            "groupId": group["id"],
            "actor": {"id": me["user"]["id"], "name": me["user"]["name"]},
        }
    listed = await client.get("/api/notifications", headers=a["headers"])
    (note,) = (await listed.json())["notifications"]
    assert note["type"] == "invite" and note["groupId"] == group["id"]
    assert note["actor"]["id"] == me["user"]["id"]
    # The invited accept by joining.
    joined = await client.post(f"/api/groups/{group['id']}/join", headers=a["headers"])
    assert joined.status == 200, await joined.text()
    assert (await joined.json())["status"] == "active"
    # The proposal is used up: the caller now has a Mathematics group.
    await settle(client)
    again = await client.post(
        "/api/groups/from-suggestion", json={"key": best["key"]}, headers=me["headers"]
    )
    await expect_error(again, 409, "conflict")
    assert (await recommend(client, me, kind="suggested"))["suggestedGroups"] == []


async def test_a_stale_key_is_409_and_a_bad_key_422(client) -> None:
    people = await population(client)
    me, a = people["me"], people["a"]
    suggested = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    with_a = [g for g in suggested if a["user"]["id"] in {m["id"] for m in g["members"]}]
    assert with_a
    # a joins another Mathematics group: every proposal with a is stale.
    await add_group(client, a["user"]["id"], [a["user"]["id"]], subject="Mathematics")
    for group in with_a:
        response = await client.post(
            "/api/groups/from-suggestion", json={"key": group["key"]}, headers=me["headers"]
        )
        await expect_error(response, 409, "conflict")
    unknown = await client.post(
        "/api/groups/from-suggestion", json={"key": "0" * 20}, headers=me["headers"]
    )
    await expect_error(unknown, 409, "conflict")
    for bad in ({"key": "xyz"}, {}, {"key": 5}, {"key": "0" * 20, "title": ""}):
        response = await client.post("/api/groups/from-suggestion", json=bad, headers=me["headers"])
        await expect_error(response, 422)
    async with client.server.app[ENGINE].connect() as connection:
        leaders = select(func.count()).where(study_groups.c.leader_id == me["user"]["id"])
        assert (await connection.execute(leaders)).scalar_one() == 0  # nothing was created


async def test_a_member_who_joined_elsewhere_in_the_meantime_is_caught_under_lock(client) -> None:
    """The index has not heard of the join yet: the check in the transaction still refuses."""
    people = await population(client)
    me, a = people["me"], people["a"]
    (best, *_) = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    assert a["user"]["id"] in {m["id"] for m in best["members"]}
    now = utcnow()
    async with client.server.app[ENGINE].begin() as connection:  # behind the index's back
        group_id = (
            await connection.execute(
                insert(study_groups).values(
                    title="Elsewhere",
                    subject="MATHEMATICS",
                    description="",
                    schedule="",
                    location="",
                    max_members=6,
                    join_policy="open",
                    status="active",
                    leader_id=a["user"]["id"],
                    created_at=now,
                    updated_at=now,
                )
            )
        ).inserted_primary_key[0]
        await connection.execute(
            insert(group_members).values(
                group_id=group_id,
                user_id=a["user"]["id"],
                role="leader",
                status="active",
                joined_at=now,
            )
        )
    still = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    assert best["key"] in {g["key"] for g in still}  # the index does not know yet
    response = await client.post(
        "/api/groups/from-suggestion", json={"key": best["key"]}, headers=me["headers"]
    )
    await expect_error(response, 409, "conflict")


async def test_parallel_creations_of_one_suggestion_make_one_group(client) -> None:
    people = await population(client)
    me = people["me"]
    (best, *_) = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/groups/from-suggestion", json={"key": best["key"]}, headers=me["headers"]
            )
            for _ in range(6)
        )
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], statuses
    async with client.server.app[ENGINE].connect() as connection:
        leaders = select(func.count()).where(study_groups.c.leader_id == me["user"]["id"])
        assert (await connection.execute(leaders)).scalar_one() == 1


async def test_dismissed_cards_are_hidden_until_they_expire(client) -> None:
    people = await population(client)
    me, a = people["me"], people["a"]
    open_group = await add_group(client, a["user"]["id"], [a["user"]["id"]], title="Open")
    before = await recommend(client, me, kind="both")
    assert a["user"]["id"] in {p["id"] for p in before["partners"]}
    assert open_group in {c["id"] for c in before["recommendations"]}
    key = before["suggestedGroups"][0]["key"]
    for kind, target in (("partner", a["user"]["id"]), ("group", open_group), ("suggested", key)):
        response = await client.post(
            "/api/recommend/dismiss", json={"kind": kind, "id": target}, headers=me["headers"]
        )
        assert response.status == 200, await response.text()
        dismissed = (await response.json())["dismissed"]
        assert dismissed["kind"] == kind and dismissed["id"] == target
    after = await recommend(client, me, kind="both")
    assert a["user"]["id"] not in {p["id"] for p in after["partners"]}
    assert open_group not in {c["id"] for c in after["recommendations"]}
    assert key not in {g["key"] for g in after["suggestedGroups"]}
    # Another student's view is unchanged.
    theirs = await recommend(client, people["b"], kind="partners")
    assert a["user"]["id"] in {p["id"] for p in theirs["partners"]}
    # Expired: shown again.
    async with client.server.app[ENGINE].begin() as connection:
        await connection.execute(
            update(matching_dismissals).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    back = await recommend(client, me, kind="both")
    assert a["user"]["id"] in {p["id"] for p in back["partners"]}
    assert key in {g["key"] for g in back["suggestedGroups"]}
    again = await client.post(
        "/api/recommend/dismiss", json={"kind": "partner", "id": 999999}, headers=me["headers"]
    )
    await expect_error(again, 404)  # nothing stored, the expired rows stay until a dismiss
    response = await client.post(
        "/api/recommend/dismiss", json={"kind": "suggested", "id": key}, headers=me["headers"]
    )
    assert response.status == 200
    async with client.server.app[ENGINE].connect() as connection:
        rows = select(matching_dismissals.c.target)
        assert (await connection.execute(rows)).scalars().all() == [key]  # expired ones deleted


async def test_dismiss_refuses_bad_input(client) -> None:
    people = await population(client)
    me = people["me"]
    cases = [
        ({"kind": "nope", "id": 1}, 422),
        ({"kind": "partner", "id": "abc"}, 422),
        ({"kind": "partner", "id": me["user"]["id"]}, 422),
        ({"kind": "partner", "id": 999999}, 404),
        ({"kind": "group", "id": 999999}, 404),
        ({"kind": "group", "id": 0}, 422),
        ({"kind": "suggested", "id": 5}, 422),
        ({"kind": "suggested", "id": "not-a-key"}, 422),
        ({"kind": "partner"}, 422),
        ({"kind": "partner", "id": True}, 422),
    ]
    for body, status in cases:
        response = await client.post("/api/recommend/dismiss", json=body, headers=me["headers"])
        await expect_error(response, status)
    async with client.server.app[ENGINE].connect() as connection:
        rows = select(func.count()).select_from(matching_dismissals)
        assert (await connection.execute(rows)).scalar_one() == 0
    anonymous = await client.post("/api/recommend/dismiss", json={"kind": "partner", "id": 1})
    await expect_error(anonymous, 401)


async def test_a_dismissed_partner_is_down_weighted_in_suggestions(client) -> None:
    me = await register(client, **student(["Mathematics"], EVENINGS, size=2))
    first = await register(client, **student(["Mathematics"], EVENINGS, size=2))
    second = await register(
        client, **student(["Mathematics"], EVENINGS, size=2, performanceLevel=3)
    )
    await settle(client)
    pairs = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    assert [g["members"][1]["id"] for g in pairs] == [first["user"]["id"], second["user"]["id"]]
    response = await client.post(
        "/api/recommend/dismiss",
        json={"kind": "partner", "id": first["user"]["id"]},
        headers=me["headers"],
    )
    assert response.status == 200
    pairs = (await recommend(client, me, kind="suggested"))["suggestedGroups"]
    assert [g["members"][1]["id"] for g in pairs] == [second["user"]["id"], first["user"]["id"]]


async def test_excluded_users_never_appear_and_the_list_still_fills(make_client) -> None:
    blocked: set[int] = set()

    async def excluded_ids(user_id: int) -> frozenset[int]:  # the safety issue's blocks, faked
        return frozenset(blocked)

    client = await make_client(overrides={"excluded_ids": excluded_ids})
    me = await register(client, **student(["Mathematics"], EVENINGS))
    twin = await register(client, **student(["Mathematics"], EVENINGS))  # the best match
    other = await register(client, **student(["Mathematics"], EVENINGS, performanceLevel=2))
    await settle(client)
    assert [
        p["id"] for p in (await recommend(client, me, kind="partners", limit=1))["partners"]
    ] == [twin["user"]["id"]]
    blocked.add(twin["user"]["id"])
    body = await recommend(client, me, kind="both", limit=1)
    # A mask, not a post-filter: limit 1 still gets the next partner.
    assert [p["id"] for p in body["partners"]] == [other["user"]["id"]]
    for group in body["suggestedGroups"]:
        assert twin["user"]["id"] not in {m["id"] for m in group["members"]}
    assert body["suggestedGroups"]
    found = await client.post(
        "/api/search/people", json={"query": "diagrams", "limit": 1}, headers=me["headers"]
    )
    assert [r["id"] for r in (await found.json())["results"]] == [other["user"]["id"]]


async def test_search_filters_by_subject(client) -> None:
    me = await register(client, **student(["Mathematics"], EVENINGS))
    maths = await register(client, **student(["MATHEMATICS", "Art"], EVENINGS))
    physics = await register(client, **student(["Physics"], EVENINGS))
    await register(client, **student(["History"], EVENINGS))
    await settle(client)
    leader = physics["user"]["id"]
    physics_group = await add_group(client, leader, [leader], subject="physics", title="Waves")
    maths_group = await add_group(client, leader, [leader], subject="Mathematics", title="Sums")

    async def search(path: str, **body) -> list[tuple[str, int]]:
        response = await client.post(path, json=body, headers=me["headers"])
        assert response.status == 200, await response.text()
        return [(r["kind"], r["id"]) for r in (await response.json())["results"]]

    found = await search("/api/search", query="diagrams", subjects=["Physics", "mathematics"])
    assert set(found) == {
        ("user", maths["user"]["id"]),
        ("user", physics["user"]["id"]),
        ("group", physics_group),
        ("group", maths_group),
    }
    assert set(await search("/api/search", query="diagrams", subjects=["physics"])) == {
        ("user", physics["user"]["id"]),
        ("group", physics_group),
    }
    # No query: by relevance to my profile (the Mathematics classmate first).
    listed = await search("/api/search", subjects=["Physics", "Mathematics"])
    assert listed[0] in {("user", maths["user"]["id"]), ("group", maths_group)}
    people = await search("/api/search/people", subjects=["Physics", "Mathematics"])
    assert people == [("user", maths["user"]["id"]), ("user", physics["user"]["id"])]
    assert await search("/api/search/people", subjects=["Chemistry"]) == []
    for bad in ({}, {"query": ""}, {"subjects": []}, {"subjects": [""]}, {"subjects": "Maths"}):
        response = await client.post("/api/search", json=bad, headers=me["headers"])
        await expect_error(response, 422)


def test_fixture_schedules_are_what_the_tests_assume() -> None:
    assert schedule_mask(EVENINGS) & schedule_mask(SUNDAY_NIGHT) == 0
