"""Recommendations and search over HTTP, with the hashing stand-in for the model."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, insert, select, update

from app import create_app
from domain.matching_embeddings import is_stale
from matching.embedder import Embedder, HashingEmbedder
from settings import MatchingSettings
from storage.tables import group_members, study_groups, user_embeddings, users
from storage.types import utcnow
from tests.conftest import settings_for
from tests.helpers import expect_error, register
from tests.services import REDIS_URL, redis_prefix, require_service
from wiring.keys import ENGINE, MATCHING, UOW

ROOT = Path(__file__).resolve().parents[2]

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
        "goals": 1.0,  # both list "exam prep" (tests.helpers.profile)
    }
    assert "Mathematics" in partner["explanation"] and "Monday evening" in partner["explanation"]
    assert "both preparing for exams" in partner["explanation"]
    assert body["recommendations"][-1]["title"] == "Create Your Own Study Group"
    assert body["hint"] is None  # the caller has a schedule


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


async def test_a_group_i_asked_to_join_is_not_offered_again(client) -> None:
    me = await register(client, subjects=["Mathematics"], schedule=EVENINGS)
    peer = await register(client, subjects=["Mathematics"], schedule=EVENINGS)
    await settle(client)
    group = await client.post(
        "/api/groups/create",
        json={"title": "Proofs", "subject": "Mathematics", "joinPolicy": "approval"},
        headers=peer["headers"],
    )
    group_id = (await group.json())["group"]["id"]
    await settle(client)
    before = await recommend(client, me, kind="groups")
    assert group_id in [c["id"] for c in before["recommendations"]]
    asked = await client.post(f"/api/groups/{group_id}/join", headers=me["headers"])
    assert (await asked.json())["status"] == "pending"
    await settle(client)  # the index learns of the request in the background
    after = await recommend(client, me, kind="groups")
    assert group_id not in [c["id"] for c in after["recommendations"]]


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


# ---- second version: feasibility, goals, hint (api.md "Matching, second version") ----------

SUNDAY_MORNING = {"Sunday": ["Morning (8-12 PM)"]}
SAME = {"subjects": ["Mathematics"], "performanceLevel": 4, "learningStyle": "worked examples"}


async def test_a_partner_the_caller_cannot_meet_is_never_recommended(client) -> None:
    me = await register(client, schedule=EVENINGS, **SAME)
    # Identical in everything but time: 0.75 without the schedule factor, above the threshold.
    never = await register(client, schedule=SUNDAY_MORNING, **SAME)
    feasible = await register(client, schedule={"Monday": ["Evening (5-9 PM)"]}, **SAME)
    await settle(client)
    body = await recommend(client, me, kind="partners")
    assert [p["id"] for p in body["partners"]] == [feasible["user"]["id"]]
    assert never["user"]["id"] not in [p["id"] for p in body["partners"]]
    assert "Monday evening" in body["partners"][0]["explanation"]


async def test_a_group_the_caller_cannot_meet_is_never_recommended(client) -> None:
    me = await register(client, schedule=EVENINGS, **SAME)
    early = await register(client, schedule=SUNDAY_MORNING, **SAME)
    late = await register(client, schedule=EVENINGS, **SAME)
    unscheduled = await register(client, schedule={}, **SAME)
    await settle(client)
    ids = [a["user"]["id"] for a in (early, late, unscheduled)]
    cannot = await add_group(client, ids[0], [ids[0]], title="Sunday mornings")
    # Flexible group profile: the member without a schedule constrains nothing.
    can = await add_group(client, ids[1], [ids[1], ids[2]], title="Evenings")
    body = await recommend(client, me, kind="groups")
    offered = [c["id"] for c in body["recommendations"] if c["kind"] == "group"]
    assert offered == [can] and cannot not in offered
    # The unscheduled member leaves the group's evenings intact (flexible=False would give none).
    assert body["recommendations"][0]["compatibility"]["schedule"] == 1.0


async def test_goals_are_a_fifth_factor_renormalised_when_a_side_lists_none(client) -> None:
    def goals(*listed: str) -> dict:
        return {"groupPreferences": {"groupSize": 4, "studyGoals": list(listed)}}

    me = await register(client, schedule=EVENINGS, **SAME, **goals("Exam Prep", "projects"))
    shares = await register(client, schedule=EVENINGS, **SAME, **goals("exam  prep"))
    differs = await register(client, schedule=EVENINGS, **SAME, **goals("homework"))
    none = await register(client, schedule=EVENINGS, **SAME, **goals())
    await settle(client)
    body = await recommend(client, me, kind="partners")
    cards = {p["id"]: p for p in body["partners"]}
    shared, other, silent = (cards[a["user"]["id"]] for a in (shares, differs, none))
    # All four origin factors are 1.0 for each; the goals factor alone separates them.
    for card in (shared, other, silent):
        assert {k: v for k, v in card["compatibility"].items() if k != "goals"} == dict.fromkeys(
            ("subject", "schedule", "learningStyle", "performance"), 1.0
        )
    assert shared["compatibility"]["goals"] == 0.5  # Jaccard {exam prep} / {exam prep, projects}
    assert shared["matchPercentage"] == 95  # 0.9 + 0.10 x 0.5
    assert "both preparing for exams" in shared["explanation"]
    assert other["compatibility"]["goals"] == 0.0 and other["matchPercentage"] == 90
    assert "different study goals" in other["explanation"]
    # Not compared: the four weights (0.9) are scaled by 1/0.9, so a perfect four-factor match
    # reads 100 % instead of being penalised for an empty list.
    assert silent["compatibility"]["goals"] == 0.0 and silent["matchPercentage"] == 100
    assert "study goals not compared" in silent["explanation"]
    assert [p["id"] for p in body["partners"]][0] == none["user"]["id"]


async def test_a_caller_without_a_schedule_gets_a_hint_and_unconstrained_matches(client) -> None:
    me = await register(client, schedule={}, **SAME)
    other = await register(client, schedule=SUNDAY_MORNING, **SAME)
    await settle(client)
    body = await recommend(client, me, kind="partners")
    assert "free" in body["hint"] and "profile" in body["hint"]
    assert [p["id"] for p in body["partners"]] == [other["user"]["id"]]


async def test_an_empty_profile_gets_advice_not_studying_study(client) -> None:
    empty = await register(
        client, subjects=[], major="", schedule={}, learningStyle="", groupPreferences={}
    )
    await settle(client)
    body = await recommend(client, empty)
    card = body["recommendations"][-1]
    assert card["kind"] == "create" and "studying study" not in card["explanation"]
    assert "Add your subjects and free times" in card["explanation"]
    assert card["compatibility"]["goals"] == 1.0


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


class HashingModel:
    """Stands in for a SentenceTransformer inside the real Embedder (same encode signature)."""

    def encode(self, texts: list[str], **_options: object) -> np.ndarray:
        return HashingEmbedder().encode_sync(texts)


class GatedEmbedder(Embedder):
    """The real Embedder (executor, state, bounded wait) whose model load waits for a gate."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(model_path="gated-test-model")
        self.gate = threading.Event()
        self.fail = fail

    def _load(self) -> None:
        if not self.gate.wait(60) or self.fail:
            raise RuntimeError("model files missing")
        self._model = HashingModel()


async def model_state(client) -> str:
    return (await (await client.get("/api/health")).json())["ai_model"]


async def test_requests_wait_a_bounded_time_for_the_model_then_503(make_client) -> None:
    embedder = GatedEmbedder()
    matching = MatchingSettings(embedder="hashing", model_wait_seconds=1.0)
    client = await make_client(overrides={"embedder": embedder}, matching=matching)
    try:
        me = await register(client)
        assert await model_state(client) == "loading"
        started = time.monotonic()
        response = await client.post("/api/recommend", json={}, headers=me["headers"])
        body = await expect_error(response, 503, "model_loading")
        assert time.monotonic() - started >= 0.9
        assert "loading" in body["message"]
        # A request already waiting when the model arrives is answered normally.
        waiting = asyncio.ensure_future(
            client.post("/api/recommend", json={}, headers=me["headers"])
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()
        embedder.gate.set()
        assert (await waiting).status == 200
        assert await model_state(client) == "loaded"
    finally:
        embedder.gate.set()


async def test_a_model_that_fails_to_load_is_reported(make_client) -> None:
    embedder = GatedEmbedder(fail=True)
    embedder.gate.set()
    client = await make_client(overrides={"embedder": embedder})
    me = await register(client)
    await settle(client)
    health = await (await client.get("/api/health")).json()
    assert (health["ai_model"], health["status"]) == ("failed", "degraded")
    response = await client.post("/api/search", json={"query": "x"}, headers=me["headers"])
    body = await expect_error(response, 503, "model_loading")
    assert "failed" in body["message"]


# ---- python server.py reindex -----------------------------------------------------------------


async def run_reindex(database_url: str, *flags: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "server.py",
        "reindex",
        "--embedder",
        "hashing",
        *flags,
        cwd=ROOT,
        env={**environ, "DATABASE_URL": database_url, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode()
    assert process.returncode == 0, text
    return text


async def stored_students(client) -> dict:
    async with client.server.app[UOW]() as uow:
        return {record.id: record for record in await uow.matching.students(0, 1000)}


async def test_reindex_embeds_missing_and_stale_profiles_and_is_idempotent(
    client, database_url
) -> None:
    styled = await register(client, learningStyle="whiteboard sessions")
    blank = await register(client, learningStyle="")
    edited = await register(client, learningStyle="flashcards")
    await settle(client)
    async with client.server.app[ENGINE].begin() as connection:
        await connection.execute(
            delete(user_embeddings).where(
                user_embeddings.c.user_id.in_([styled["user"]["id"], blank["user"]["id"]])
            )
        )
        # Written behind the service's back: the stored fingerprint no longer matches.
        await connection.execute(
            update(users)
            .where(users.c.id == edited["user"]["id"])
            .values(learning_style="spaced repetition")
        )
    before = await stored_students(client)
    assert [is_stale(HashingEmbedder.name, r) for r in before.values()] == [True] * 3

    output = await run_reindex(database_url, "--only-stale", "--batch-size", "2")
    assert "3 profiles, 3 re-embedded" in output and "3/3" in output  # log line, tqdm bar
    after = await stored_students(client)
    assert not any(is_stale(HashingEmbedder.name, r) for r in after.values())
    hashing = HashingEmbedder()
    edited_record = after[edited["user"]["id"]]
    assert edited_record.embedding is not None
    assert edited_record.embedding.vector == hashing.encode_sync(["spaced repetition"])[0].tobytes()
    assert edited_record.embedding.search_vector == (
        hashing.encode_sync([edited_record.search_text])[0].tobytes()
    )
    blank_record = after[blank["user"]["id"]]
    assert blank_record.embedding is not None and blank_record.embedding.vector is None

    again = await run_reindex(database_url, "--only-stale")
    assert "3 profiles, 0 re-embedded" in again
    everything = await run_reindex(database_url)
    assert "3 profiles, 3 re-embedded" in everything
    assert await stored_students(client) == after  # same vectors, same fingerprints


async def test_reindex_tells_running_workers_to_reload(sqlite_database_url, aiohttp_client) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    prefix = redis_prefix()
    settings = settings_for(sqlite_database_url, redis_url=REDIS_URL, redis_prefix=prefix)
    client = await aiohttp_client(create_app(settings))
    me = await register(client, learningStyle="flashcards")
    await settle(client)
    async with client.server.app[ENGINE].begin() as connection:
        await connection.execute(update(users).values(learning_style="mind maps"))
    service = client.server.app[MATCHING]
    expected = HashingEmbedder().encode_sync(["mind maps"])[0]
    assert not np.array_equal(service._students.get(me["user"]["id"]).embedding, expected)
    await run_reindex(sqlite_database_url, REDIS_URL=REDIS_URL, REDIS_PREFIX=prefix)
    for _ in range(100):
        if np.array_equal(service._students.get(me["user"]["id"]).embedding, expected):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the running app did not reload its index after reindex")


# ---- the real packaged model, through the service ---------------------------------------------


@pytest.mark.model
async def test_real_model_ranks_close_learning_styles_first(
    sqlite_database_url, aiohttp_client
) -> None:
    settings = settings_for(sqlite_database_url, matching=MatchingSettings())
    client = await aiohttp_client(create_app(settings))
    for _ in range(600):
        if await model_state(client) != "loading":
            break
        await asyncio.sleep(0.1)
    assert await model_state(client) == "loaded"
    assert client.server.app[MATCHING].embedder.onnx_active  # profile writes go through ONNX
    me = await register(client, learningStyle="Visual learner: I like diagrams and mind maps")
    distant = await register(client, learningStyle="I prefer quiet solo reading of long texts")
    close = await register(client, learningStyle="I learn best with charts and visual diagrams")
    await settle(client)
    body = await recommend(client, me, kind="partners")
    ranked = {p["id"]: p for p in body["partners"]}
    assert list(ranked) == [close["user"]["id"], distant["user"]["id"]]
    near, far = ranked[close["user"]["id"]], ranked[distant["user"]["id"]]
    assert near["compatibility"]["learningStyle"] > far["compatibility"]["learningStyle"] + 0.15
    # Everything but the learning style is identical, so that factor alone orders them.
    assert near["compatibility"]["subject"] == far["compatibility"]["subject"] == 1.0
    assert near["matchPercentage"] > far["matchPercentage"]
    search = await client.post(
        "/api/search", json={"query": "drawing diagrams"}, headers=me["headers"]
    )
    results = (await search.json())["results"]
    assert results[0]["id"] == close["user"]["id"]


async def test_start_up_embeds_profiles_missing_an_embedding_in_batches(make_client) -> None:
    first = await make_client()
    accounts = [await register(first, learningStyle=f"style {n}") for n in range(3)]
    await settle(first)
    async with first.server.app[ENGINE].begin() as connection:
        await connection.execute(delete(user_embeddings))
    restarted = await make_client()
    await settle(restarted)
    stored = await stored_students(restarted)
    assert sorted(stored) == sorted(a["user"]["id"] for a in accounts)
    assert not any(is_stale(HashingEmbedder.name, r) for r in stored.values())
    body = await recommend(restarted, accounts[0], kind="partners")
    assert {p["id"] for p in body["partners"]} <= {a["user"]["id"] for a in accounts[1:]}
