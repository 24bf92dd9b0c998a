"""Exact minute totals under concurrency, sync-minutes, no N+1 on lists, post:new and the feed,
and GET /api/progress/me across time zones — on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select, update

from domain.events import PostCreated
from realtime.wire import Emit, emits
from settings import AccountsSettings
from storage.tables import focus_sessions, users
from tests.api.test_luminary import attempt, call, constellation, session
from tests.helpers import expect_error, register
from wiring.keys import ENGINE, PUBLISHER


async def stored_totals(app) -> dict[int, tuple[int, int]]:
    """user id → (users.total_minutes, sum of that user's completed session minutes)."""
    completed = (
        select(func.coalesce(func.sum(focus_sessions.c.minutes), 0))
        .where(focus_sessions.c.user_id == users.c.id, focus_sessions.c.status == "completed")
        .scalar_subquery()
    )
    async with app[ENGINE].connect() as connection:
        rows = await connection.execute(select(users.c.id, users.c.total_minutes, completed))
        return {row[0]: (row[1], int(row[2])) for row in rows}


async def assert_totals_exact(app) -> None:
    for user_id, (stored, actual) in (await stored_totals(app)).items():
        assert stored == actual, f"user {user_id}: stored {stored}, sessions say {actual}"


ADMIN = "admin@uni.edu"


async def test_minutes_stay_exact_under_concurrent_changes(make_client) -> None:
    client = await make_client(accounts=AccountsSettings(admins=(ADMIN,)))
    app = client.server.app
    alice, bob = await register(client, email=ADMIN), await register(client)
    target = await constellation(client, alice, "Big Dipper", 7)
    accounts = {alice["user"]["id"]: alice, bob["user"]["id"]: bob}
    attempts = {
        uid: (await attempt(client, acc, target["id"]))["id"] for uid, acc in accounts.items()
    }
    doomed = (await attempt(client, alice, target["id"]))["id"]  # deleted mid-way
    # Concurrent creation too.
    creations = [
        session(client, acc, attempts[uid], minutes=5 + 7 * n)
        for n in range(12)
        for uid, acc in accounts.items()
    ] + [session(client, alice, doomed, minutes=100 + n) for n in range(4)]
    created = await asyncio.gather(*creations)
    owner = {s["id"]: accounts[s["user_id"]] for s in created}
    operations: list[tuple[str, str, dict[str, Any]]] = []
    for s in created:
        sid = s["id"]
        operations += [("PUT", f"/api/sessions/{sid}/complete/", owner[sid])] * 3
        if sid % 3 == 0:
            operations.append(("PUT", f"/api/sessions/{sid}/cancel/", owner[sid]))
        if sid % 5 == 0:
            operations.append(("DELETE", f"/api/sessions/{sid}/", owner[sid]))
    operations.append(("DELETE", f"/api/constellation_attempts/{doomed}/", alice))
    random.Random(5).shuffle(operations)

    async def run(method: str, url: str, account: dict[str, Any]) -> int:
        response = await client.request(method, url, headers=account["headers"])
        await response.read()
        return response.status

    statuses = await asyncio.gather(*(run(*operation) for operation in operations))
    # 404 (deleted first) and 409 (completing a cancelled session) are the only refusals.
    assert set(statuses) <= {200, 404, 409}, statuses
    assert statuses.count(200) > len(created)
    await assert_totals_exact(app)
    for uid, account in accounts.items():
        listed = await call(client, "GET", "/api/sessions/?limit=200", account)
        expected = sum(s["minutes"] for s in listed["sessions"] if s["status"] == "completed")
        total = await call(client, "GET", f"/api/users/{uid}/total_minutes/", account)
        assert total["total_minutes"] == expected
    repaired = await call(client, "POST", "/api/users/sync-minutes/", alice)
    assert repaired["corrected"] == 0 and repaired["checked"] == 2


async def test_concurrent_double_completion_counts_once(client) -> None:
    account = await register(client)
    aid = (await attempt(client, account, (await constellation(client, account))["id"]))["id"]
    sid = (await session(client, account, aid, 600))["id"]
    url = f"/api/sessions/{sid}/complete/"
    responses = await asyncio.gather(
        *(client.put(url, headers=account["headers"]) for _ in range(20))
    )
    assert [r.status for r in responses] == [200] * 20
    total = await call(client, "GET", f"/api/users/{account['user']['id']}/total_minutes", account)
    assert total["total_minutes"] == 600
    await assert_totals_exact(client.server.app)


async def test_sync_minutes_repairs_drifted_totals(make_client) -> None:
    client = await make_client(accounts=AccountsSettings(admins=(ADMIN.upper(),)))
    app = client.server.app
    alice, bob = await register(client), await register(client, email=ADMIN)
    aid = (await attempt(client, alice, (await constellation(client, alice))["id"]))["id"]
    sid = (await session(client, alice, aid, 30))["id"]
    await call(client, "PUT", f"/api/sessions/{sid}/complete/", alice)
    async with app[ENGINE].begin() as connection:  # simulate drift from an older version
        await connection.execute(update(users).values(total_minutes=999))
    fixed = await call(client, "POST", "/api/users/sync-minutes", bob)
    assert fixed == {"message": "Updated total_minutes for 2 users", "checked": 2, "corrected": 2}
    await assert_totals_exact(app)
    again = await call(client, "POST", "/api/users/sync-minutes/", bob)
    assert again["corrected"] == 0
    total = await call(client, "GET", f"/api/users/{alice['user']['id']}/total_minutes/", bob)
    assert total["total_minutes"] == 30


@contextmanager
def query_counter(app):
    counted = {"n": 0}

    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Transaction starts and the matching engine's background embedding writes are noise.
        if not statement.startswith("BEGIN") and "user_embeddings" not in statement:
            counted["n"] += 1

    engine = app[ENGINE].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def add_activity(client, owner, friend, target_id: int, rounds: int) -> tuple[int, int]:
    """Attempts, sessions, completions and posts for the owner and a group friend."""
    last_attempt = last_constellation = 0
    for n in range(rounds):
        extra = await constellation(client, owner, f"Extra {n}", 1)
        last_constellation = extra["id"]
        last_attempt = (await attempt(client, owner, target_id))["id"]
        sid = (await session(client, owner, last_attempt, 10))["id"]
        await call(client, "PUT", f"/api/sessions/{sid}/complete/", owner)
        await call(client, "PUT", f"/api/constellation_attempts/{last_attempt}/complete", owner)
        body = {"constellation_id": target_id, "post_type": "progress", "message": "go"}
        await call(client, "POST", "/api/posts/", friend, body, 201)
        await attempt(client, owner, extra["id"])
        await register(client)
    return last_attempt, last_constellation


async def test_list_endpoints_use_a_fixed_number_of_queries(client) -> None:
    app = client.server.app
    owner, friend = await register(client), await register(client)
    group = await (
        await client.post(
            "/api/groups/create", json={"title": "T", "subject": "S"}, headers=owner["headers"]
        )
    ).json()
    await client.post(f"/api/groups/{group['group']['id']}/join", headers=friend["headers"])
    target = await constellation(client, owner, "Orion", 1)
    uid = owner["user"]["id"]

    async def measure(attempt_id: int) -> dict[str, int]:
        urls = [
            "/api/users/",
            f"/api/users/{uid}/",
            "/api/constellations/",
            "/api/constellation_attempts/",
            f"/api/users/{uid}/constellation_attempts/",
            f"/api/constellation_attempts/{attempt_id}/sessions/",
            "/api/sessions/",
            "/api/posts/",
            "/api/feed/",
            f"/api/users/{uid}/posts/",
            f"/constellations/{target['id']}/posts/",
            f"/api/users/{uid}/completed_constellations/",
        ]
        counts = {}
        for url in urls:
            # The fewer of two reads: a background task of the app (the matching index refresh,
            # the revoked-token pruning at start-up) may query during one of them; an N+1 query
            # costs more on both.
            runs = []
            for _ in range(2):
                with query_counter(app) as counted:
                    body = await call(client, "GET", url, owner)
                runs.append(counted["n"])
            counts[url] = min(runs)
            lists = [v for v in body.values() if isinstance(v, list)]
            assert lists, url
        return counts

    first_attempt, _ = await add_activity(client, owner, friend, target["id"], 1)
    small = await measure(first_attempt)
    await add_activity(client, owner, friend, target["id"], 8)
    large = await measure(first_attempt)
    assert small == large
    assert max(large.values()) <= 6, large  # auth's user lookup included
    feed = await call(client, "GET", "/api/feed/?limit=200", owner)
    assert len(feed["posts"]) == 18  # 9 completions of the owner + 9 posts of the friend


async def test_post_new_goes_to_the_authors_groups_and_the_feed_is_scoped(client) -> None:
    app = client.server.app
    seen: list[Emit] = []

    async def collect(event: PostCreated) -> None:  # what the socket publisher emits for it
        seen.extend(out for out in emits(event) if out.event == "post:new")

    app[PUBLISHER].subscribe(PostCreated, collect)
    alice, bob, carol, dave = [await register(client) for _ in range(4)]
    group_ids = []
    for title, policy in (("Stars", "open"), ("Moons", "open")):
        created = await client.post(
            "/api/groups/create",
            json={"title": title, "subject": "Astronomy", "joinPolicy": policy},
            headers=alice["headers"],
        )
        group_ids.append((await created.json())["group"]["id"])
    await client.post(f"/api/groups/{group_ids[0]}/join", headers=bob["headers"])
    closed = await client.post(
        "/api/groups/create",
        json={"title": "Private", "subject": "Astronomy", "joinPolicy": "approval"},
        headers=dave["headers"],
    )
    closed_id = (await closed.json())["group"]["id"]
    await client.post(f"/api/groups/{closed_id}/join", headers=alice["headers"])  # pending

    target = await constellation(client, alice, "Delphinus", 1)
    aid = (await attempt(client, alice, target["id"]))["id"]
    await call(client, "PUT", f"/api/constellation_attempts/{aid}/", alice)  # completes it
    assert sorted(e.room for e in seen) == sorted(f"group:{g}" for g in group_ids)
    post = seen[0].payload["post"]
    assert post["post_type"] == "completion" and post["user"]["id"] == alice["user"]["id"]
    assert post["constellation"]["name"] == "Delphinus" and isinstance(post["id"], int)

    body = {"constellation_id": target["id"], "post_type": "streak", "message": "3 days"}
    await call(client, "POST", "/api/posts/", bob, body, 201)
    assert [e.room for e in seen[2:]] == [f"group:{group_ids[0]}"]
    await call(client, "POST", "/api/posts/", carol, body | {"message": "alone"}, 201)
    assert len(seen) == 3  # carol has no groups: stored, nothing emitted

    def authors(feed: dict[str, Any]) -> list[int]:
        return [p["user_id"] for p in feed["posts"]]

    a, b, c = (account["user"]["id"] for account in (alice, bob, carol))
    assert authors(await call(client, "GET", "/api/feed/", bob)) == [b, a]
    assert authors(await call(client, "GET", "/api/feed/", alice)) == [b, a]
    assert authors(await call(client, "GET", "/api/feed/", carol)) == [c]
    assert authors(await call(client, "GET", "/api/feed/", dave)) == []  # alice only pending
    assert len((await call(client, "GET", "/api/posts/", dave))["posts"]) == 3


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


async def test_progress_me_streak_follows_the_users_time_zone(make_client) -> None:
    clock = Clock(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    client = await make_client(overrides={"clock": clock})
    account = await register(client)
    aid = (await attempt(client, account, (await constellation(client, account, "W", 5))["id"]))[
        "id"
    ]
    # Tokyo (UTC+9): Mon 23:00, Tue 19:00, Wed 01:00. UTC: Mon 14:00, Tue 10:00, Tue 16:00.
    for moment, minutes in (
        (datetime(2026, 3, 9, 14, 0, tzinfo=UTC), 10),
        (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), 20),
        (datetime(2026, 3, 10, 16, 0, tzinfo=UTC), 40),
    ):
        clock.moment = moment
        sid = (await session(client, account, aid, minutes))["id"]
        await call(client, "PUT", f"/api/sessions/{sid}/complete/", account)
        await call(client, "PUT", f"/api/constellation_attempts/{aid}/", account)
    pending = (await session(client, account, aid, 300))["id"]  # never completed: not counted
    cancelled = (await session(client, account, aid, 200))["id"]
    await call(client, "PUT", f"/api/sessions/{cancelled}/complete/", account)
    await call(client, "PUT", f"/api/sessions/{cancelled}/cancel/", account)
    assert pending

    async def progress() -> dict[str, Any]:
        return (await call(client, "GET", "/api/progress/me", account))["progress"]

    clock.moment = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # Tokyo: Wed 05:00
    utc = await progress()
    assert utc["timezone"] == "UTC"
    assert (utc["streakDays"], utc["minutesToday"], utc["minutesThisWeek"]) == (2, 60, 70)
    assert utc["totalMinutes"] == 70 and utc["stars"] == 3 and utc["completedSessions"] == 3
    assert utc["completedConstellations"] == 0 and utc["studiedToday"] is True

    patched = await client.patch(
        "/api/auth/me", json={"timezone": "Asia/Tokyo"}, headers=account["headers"]
    )
    assert patched.status == 200
    tokyo = await progress()
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert (tokyo["streakDays"], tokyo["minutesToday"], tokyo["minutesThisWeek"]) == (3, 40, 70)

    clock.moment += timedelta(days=1)  # Tokyo Thu 05:00: today open, streak still alive
    later = await progress()
    assert (later["streakDays"], later["studiedToday"], later["minutesToday"]) == (3, False, 0)
    clock.moment += timedelta(days=1)  # a whole day missed
    assert (await progress())["streakDays"] == 0
    clock.moment = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # Tokyo: next Monday 10:00
    assert (await progress())["minutesThisWeek"] == 0

    await call(client, "PUT", f"/api/constellation_attempts/{aid}/complete", account)
    done = await progress()
    assert done["stars"] == 5 and done["completedConstellations"] == 1


async def test_timezone_must_be_an_iana_name(client) -> None:
    account = await register(client)
    for zone in ("Mars/Olympus", "UTC+3", "", 5, "../../etc/passwd"):
        response = await client.patch(
            "/api/auth/me", json={"timezone": zone}, headers=account["headers"]
        )
        await expect_error(response, 422, "invalid_input")
    body = (await call(client, "GET", "/api/progress/me", account))["progress"]
    assert body["timezone"] == "UTC" and body["streakDays"] == 0 and body["totalMinutes"] == 0


async def test_concurrent_stars_complete_once(client) -> None:
    account = await register(client)
    target = await constellation(client, account, "Cassiopeia", 5)
    aid = (await attempt(client, account, target["id"]))["id"]
    url = f"/api/constellation_attempts/{aid}/"
    responses = await asyncio.gather(
        *(client.put(url, headers=account["headers"]) for _ in range(12)),
        client.put(f"{url}complete", headers=account["headers"]),
    )
    assert [r.status for r in responses] == [200] * 13
    final = await call(client, "GET", url, account)
    assert final["stars_completed"] == 5 and final["is_completed"] is True
    posts = await call(client, "GET", f"/api/users/{account['user']['id']}/posts/", account)
    assert [p["post_type"] for p in posts["posts"]] == ["completion"]


async def test_deleting_a_constellation_while_others_use_it(client) -> None:
    owner, other = await register(client), await register(client)
    target = await constellation(client, owner, "Draco", 3)
    start = f"/api/users/{other['user']['id']}/constellation_attempts/"
    post = {"constellation_id": target["id"], "post_type": "progress"}
    responses = await asyncio.gather(
        *(
            client.post(start, json={"constellation_id": target["id"]}, headers=other["headers"])
            for _ in range(4)
        ),
        client.delete(f"/api/constellations/{target['id']}/", headers=owner["headers"]),
        *(client.post("/api/posts/", json=post, headers=other["headers"]) for _ in range(4)),
    )
    statuses = [r.status for r in responses]
    assert set(statuses) <= {200, 201, 404, 409}, statuses
    mine = await call(client, "GET", "/api/constellation_attempts/", other)
    if statuses[4] == 200:  # deleted first: nothing may reference it
        assert mine["constellation_attempts"] == [] and statuses.count(201) == 0
    else:
        assert statuses[4] == 409 and len(mine["constellation_attempts"]) == statuses[:4].count(201)
