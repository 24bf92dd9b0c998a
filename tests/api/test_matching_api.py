"""Recommendations and search over HTTP, with the hashing stand-in for the model."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, insert, select

from api.keys import ENGINE, MATCHING
from matching.embedder import HashingEmbedder
from storage.tables import group_members, study_groups, user_embeddings
from storage.types import utcnow
from tests.helpers import expect_error, register

EVENINGS = {"Monday": ["Evening (5-9 PM)"], "Wednesday": ["Evening (5-9 PM)"]}


async def settle(client) -> None:
    await client.server.app[MATCHING].settle()


async def add_group(client, leader_id: int, members: list[int], **fields) -> int:
    now = utcnow()
    values = {
        "title": "Calculus Crew",
        "subject": "Mathematics",
        "description": "",
        "schedule": "Mon evenings",
        "location": "Library",
        "max_members": 6,
        "join_policy": "open",
        "status": "active",
        "leader_id": leader_id,
        "created_at": now,
        "updated_at": now,
    } | fields
    async with client.server.app[ENGINE].begin() as connection:
        group_id = (
            await connection.execute(insert(study_groups).values(values))
        ).inserted_primary_key[0]
        for user_id in members:
            role = "leader" if user_id == leader_id else "member"
            await connection.execute(
                insert(group_members).values(
                    group_id=group_id, user_id=user_id, role=role, status="active", joined_at=now
                )
            )
    await client.server.app[MATCHING].refresh_groups([group_id])
    return group_id


async def recommend(client, account, **body):
    response = await client.post("/api/recommend", json=body, headers=account["headers"])
    assert response.status == 200, await response.text()
    return await response.json()


async def test_partners_ranked_caller_excluded_with_factors(client) -> None:
    me = await register(
        client,
        subjects=["Mathematics"],
        schedule=EVENINGS,
        performanceLevel=4,
        learningStyle="diagrams and worked examples",
    )
    twin = await register(
        client,
        subjects=["mathematics "],
        schedule=EVENINGS,
        performanceLevel=4,
        learningStyle="diagrams and worked examples",
    )
    await register(
        client,
        subjects=["History"],
        schedule={"Sunday": ["Night (9-12 AM)"]},
        performanceLevel=1,
        learningStyle="long solo reading",
    )
    await settle(client)
    body = await recommend(client, me, kind="partners")
    partners = body["partners"]
    assert [p["id"] for p in partners] == [twin["user"]["id"]]
    (partner,) = partners
    assert partner["matchPercentage"] == 100
    assert partner["compatibility"] == {
        "subject": 1.0,
        "schedule": 1.0,
        "learningStyle": 1.0,
        "performance": 1.0,
    }
    assert "Mathematics" in partner["explanation"] and "Monday evening" in partner["explanation"]
    assert body["recommendations"][-1]["title"] == "Create Your Own Study Group"


async def test_groups_exclude_full_and_mine_and_end_with_create_card(client) -> None:
    me = await register(client, subjects=["Mathematics"], schedule=EVENINGS)
    peer = await register(client, subjects=["Mathematics"], schedule=EVENINGS)
    other = await register(client, subjects=["Mathematics"], schedule=EVENINGS)
    await settle(client)
    open_group = await add_group(client, peer["user"]["id"], [peer["user"]["id"]])
    await add_group(
        client,
        peer["user"]["id"],
        [peer["user"]["id"], other["user"]["id"]],
        max_members=2,
        title="Full",
    )
    await add_group(client, me["user"]["id"], [me["user"]["id"]], title="Mine")
    body = await recommend(client, me, kind="groups")
    cards = body["recommendations"]
    assert [c["id"] for c in cards[:-1]] == [open_group]
    assert cards[0]["kind"] == "group" and cards[0]["currentMembers"] == 1
    assert cards[0]["action"] == "Join" and cards[0]["leaderName"] == peer["user"]["name"]
    assert cards[-1]["title"] == "Create Your Own Group" and cards[-1]["suggested"] is True
    assert body["partners"] == []


async def test_nothing_matches_gives_only_the_create_card(client) -> None:
    loner = await register(
        client,
        subjects=["Underwater Basket Weaving"],
        major="Crafts",
        schedule={"Sunday": ["Morning (8-12 PM)"]},
        learningStyle="",
    )
    await register(client)
    await settle(client)
    body = await recommend(client, loner)
    (card,) = body["recommendations"]
    assert card["title"] == "Create Your Own Study Group"
    assert "Underwater Basket Weaving" in card["focus"] and "Crafts" in card["explanation"]


async def test_bad_input_and_auth(client) -> None:
    me = await register(client)
    await expect_error(await client.post("/api/recommend", json={}), 401)
    for body in ({"limit": 0}, {"limit": "5"}, {"kind": "friends"}, {"studentData": {}}):
        response = await client.post("/api/recommend", json=body, headers=me["headers"])
        await expect_error(response, 422, "invalid_input")
    for body in ({}, {"query": ""}, {"query": "x" * 501}, {"query": "a", "limit": 51}):
        response = await client.post("/api/search", json=body, headers=me["headers"])
        await expect_error(response, 422, "invalid_input")
    blank = await client.post("/api/search", json={"query": "   "}, headers=me["headers"])
    await expect_error(blank, 422, "invalid_input")


async def test_search_ranks_by_meaning_and_excludes_caller(client) -> None:
    me = await register(client, learningStyle="flashcards flashcards")
    drawer = await register(client, name="Dee Agram", learningStyle="diagrams and mind maps")
    await register(client, name="Rita Reader", learningStyle="reading long novels quietly")
    await settle(client)
    response = await client.post(
        "/api/search", json={"query": "mind maps and diagrams"}, headers=me["headers"]
    )
    results = (await response.json())["results"]
    assert results[0]["id"] == drawer["user"]["id"] and results[0]["kind"] == "user"
    assert me["user"]["id"] not in [r["id"] for r in results if r["kind"] == "user"]
    people = await client.post(
        "/api/search/people", json={"query": "novels"}, headers=me["headers"]
    )
    assert all(r["kind"] == "user" for r in (await people.json())["results"])


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().encode_sync(texts)


async def test_embeddings_are_stored_once_and_not_recomputed_on_restart(make_client) -> None:
    first = CountingEmbedder()
    client = await make_client(overrides={"embedder": first})
    account = await register(client, learningStyle="study groups with whiteboards")
    await settle(client)
    assert first.texts == 2  # learning style + search text, once
    async with client.server.app[ENGINE].connect() as connection:
        stored = (
            await connection.execute(select(func.count()).select_from(user_embeddings))
        ).scalar_one()
    assert stored == 1
    second = CountingEmbedder()
    restarted = await make_client(overrides={"embedder": second})
    await settle(restarted)
    assert second.texts == 0
    patch = await restarted.patch(
        "/api/auth/me", json={"learningStyle": "flashcards"}, headers=account["headers"]
    )
    assert patch.status == 200
    await settle(restarted)
    assert second.texts == 2


class NeverLoads(HashingEmbedder):
    async def start(self) -> None:
        return None  # stays "loading"

    async def wait_ready(self, within_seconds: float) -> bool:
        return False


async def test_503_while_the_model_loads(make_client) -> None:
    client = await make_client(overrides={"embedder": NeverLoads()})
    me = await register(client)
    health = await (await client.get("/api/health")).json()
    assert health["ai_model"] == "loading"
    await expect_error(
        await client.post("/api/recommend", json={}, headers=me["headers"]), 503, "model_loading"
    )
    await expect_error(
        await client.post("/api/search", json={"query": "x"}, headers=me["headers"]),
        503,
        "model_loading",
    )
