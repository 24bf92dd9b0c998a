"""Luminary's routes (origins.md §2.3) on SQLite and MariaDB: the iOS client's flow, ownership,
bad input, trailing slashes and the defects of §2.9."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import expect_error, profile, register


async def call(client, method, url, account, json=None, status=200) -> Any:
    response = await client.request(method, url, json=json, headers=account["headers"])
    assert response.status == status, f"{method} {url}: {response.status} {await response.text()}"
    assert response.content_type == "application/json"
    return await response.json()


async def constellation(client, account, name="Triangulum", weight=3) -> dict[str, Any]:
    body = {"name": name, "weight": weight}
    return await call(client, "POST", "/api/constellations/", account, body, 201)


async def attempt(client, account, constellation_id) -> dict[str, Any]:
    url = f"/api/users/{account['user']['id']}/constellation_attempts/"
    return await call(client, "POST", url, account, {"constellation_id": constellation_id}, 201)


async def session(client, account, attempt_id, minutes=25) -> dict[str, Any]:
    body = {
        "user_id": account["user"]["id"],
        "constellation_attempt_id": attempt_id,
        "minutes": minutes,
    }
    return await call(client, "POST", "/api/sessions/", account, body, 201)


async def test_ios_client_flow_end_to_end(client) -> None:
    # 1. Identify the user: Luminary's POST /api/users/ (an alias of register).
    body = profile()
    body["display_name"] = body.pop("name")
    created = await client.post("/api/users/", json=body)
    assert created.status == 201, await created.text()
    me = await created.json()
    assert me["success"] is True and isinstance(me["id"], int)
    assert me["display_name"] == body["display_name"] and me["total_minutes"] == 0
    assert me["current_attempt"] is None and me["constellation_attempts"] == []
    account = {"user": {"id": me["id"]}, "headers": {"Authorization": f"Bearer {me['token']}"}}
    uid = me["id"]
    fetched = await call(client, "GET", f"/api/users/{uid}/", account)
    assert fetched["display_name"] == body["display_name"] and fetched["user"]["id"] == uid
    listed = await call(client, "GET", "/api/users/", account)
    assert [u["display_name"] for u in listed["users"]] == [body["display_name"]]

    # 2. Start: no current attempt yet → start one on the chosen constellation.
    picked = await constellation(client, account, "Triangulum", 3)
    assert picked["weight"] == 3 and picked["user_attempts"] == [] and picked["posts"] == []
    await expect_error(
        await client.get(f"/api/users/{uid}/current-attempt/", headers=account["headers"]), 404
    )
    started = await attempt(client, account, picked["id"])
    assert started["stars_completed"] == 0 and started["constellation"]["name"] == "Triangulum"
    assert started["user"] == {"id": uid, "display_name": body["display_name"]}
    current = await call(client, "GET", f"/api/users/{uid}/current-attempt/", account)
    assert current["id"] == started["id"]
    aid = started["id"]

    # 3. Three timers finish: complete, +1 star, check, post progress.
    for round_number in range(1, 4):
        focus = await session(client, account, aid, minutes=20 + round_number)
        assert focus["is_completed"] is False and focus["status"] == "pending"
        assert focus["constellation_attempt"]["id"] == aid
        done = await call(client, "PUT", f"/api/sessions/{focus['id']}/complete/", account)
        assert done["is_completed"] is True and done["status"] == "completed"
        starred = await call(client, "PUT", f"/api/constellation_attempts/{aid}/", account)
        assert starred["stars_completed"] == round_number
        checked = await call(client, "GET", f"/api/constellation_attempts/{aid}/", account)
        assert len(checked["sessions"]) == round_number
        post = {
            "user_id": uid,
            "constellation_id": picked["id"],
            "post_type": "progress",
            "message": "Default Study Message",
            "study_duration": 20 + round_number,
        }
        await call(client, "POST", "/api/posts/", account, post, 201)
    # The third star reached the weight: completed, pointer cleared, completion post made.
    assert checked["is_completed"] is True
    await expect_error(
        await client.get(f"/api/users/{uid}/current-attempt/", headers=account["headers"]), 404
    )
    # The client still calls /complete (no slash); that is now a no-op.
    completed = await call(client, "PUT", f"/api/constellation_attempts/{aid}/complete", account)
    assert completed["user_updated"] is False
    assert completed["message"] == "Constellation completed successfully!"
    assert completed["attempt"]["stars_completed"] == 3

    # 4. Cancel: a cancelled session is distinct from a pending one and adds nothing.
    second = await attempt(client, account, picked["id"])
    cancelled_id = (await session(client, account, second["id"], 50))["id"]
    cancelled = await call(client, "PUT", f"/api/sessions/{cancelled_id}/cancel/", account)
    assert cancelled["status"] == "cancelled" and cancelled["is_completed"] is False

    # 5. Profile screens.
    total = await call(client, "GET", f"/api/users/{uid}/total_minutes/", account)
    assert total == {"user_id": uid, "display_name": body["display_name"], "total_minutes": 66}
    finished = await call(client, "GET", f"/api/users/{uid}/completed_constellations/", account)
    assert finished["num_completed"] == 1
    assert finished["completed_constellations"][0]["id"] == picked["id"]
    attempts = await call(client, "GET", f"/api/users/{uid}/constellation_attempts/", account)
    assert sum(a["stars_completed"] for a in attempts["constellation_attempts"]) == 3

    # 6. Feed: newest first; the server-made completion post is there once.
    feed = await call(client, "GET", "/api/feed/", account)
    kinds = [p["post_type"] for p in feed["posts"]]
    assert kinds == ["progress", "completion", "progress", "progress"]
    completion = feed["posts"][1]
    assert completion["study_duration"] == 66 and completion["created_at"].endswith("Z")
    assert completion["user"]["id"] == uid and completion["constellation"]["weight"] == 3
    ids = [p["id"] for p in feed["posts"]]
    assert ids == sorted(ids, reverse=True) and feed["has_more"] is False
    picker = await call(client, "GET", "/api/constellations/", account)
    assert [c["name"] for c in picker["constellations"]] == ["Triangulum"]
    full = await call(client, "GET", f"/api/users/{uid}", account)
    assert full["total_minutes"] == 66 and full["current_attempt_id"] == second["id"]
    assert len(full["sessions"]) == 4 and len(full["posts"]) == 4


async def test_stars_are_capped_and_complete_once(client) -> None:
    account = await register(client)
    small = await constellation(client, account, "Pair", 2)
    aid = (await attempt(client, account, small["id"]))["id"]
    stars = [
        (await call(client, "PUT", f"/api/constellation_attempts/{aid}/", account))[
            "stars_completed"
        ]
        for _ in range(4)
    ]
    assert stars == [1, 2, 2, 2]
    posts = await call(client, "GET", f"/api/users/{account['user']['id']}/posts/", account)
    assert [p["post_type"] for p in posts["posts"]] == ["completion"]
    me = await call(client, "GET", f"/api/users/{account['user']['id']}/", account)
    assert me["current_attempt_id"] is None and me["current_attempt"] is None
    # Explicit /complete on a fresh attempt sets stars to the weight and reports the pointer.
    fresh = await attempt(client, account, small["id"])
    done = await call(
        client, "PUT", f"/api/constellation_attempts/{fresh['id']}/complete/", account
    )
    assert done["user_updated"] is True and done["attempt"]["stars_completed"] == 2
    finished = await call(
        client, "GET", f"/api/users/{account['user']['id']}/completed_constellations", account
    )
    assert finished["num_completed"] == 2


async def test_constellation_crud_by_creator_and_409_when_in_use(client) -> None:
    owner, other = await register(client), await register(client)
    used = await constellation(client, owner, "Orion", 5)
    spare = await constellation(client, owner, "Lyra", 4)
    url = f"/api/constellations/{spare['id']}/"
    renamed = await call(client, "PUT", url, owner, {"name": "Lyra Major"})
    assert renamed["name"] == "Lyra Major" and renamed["weight"] == 4
    assert (await call(client, "PUT", url, owner, {"weight": 6}))["weight"] == 6
    await expect_error(
        await client.put(url, json={"name": "x"}, headers=other["headers"]), 403, "forbidden"
    )
    await expect_error(await client.delete(url, headers=other["headers"]), 403, "forbidden")
    # Someone else's attempt makes the constellation "in use".
    await attempt(client, other, used["id"])
    used_url = f"/api/constellations/{used['id']}"
    await expect_error(await client.delete(used_url, headers=owner["headers"]), 409, "conflict")
    await expect_error(
        await client.put(used_url, json={"weight": 9}, headers=owner["headers"]), 409
    )
    assert (await call(client, "GET", used_url, owner))["weight"] == 5
    deleted = await call(client, "DELETE", url, owner)
    assert deleted == {"message": "Constellation deleted successfully!"}
    await expect_error(await client.get(url, headers=owner["headers"]), 404, "not_found")


async def test_ownership_is_enforced_and_nothing_changes(client) -> None:
    alice, bob = await register(client), await register(client)
    target = await constellation(client, alice, "Cygnus", 3)
    aid = (await attempt(client, alice, target["id"]))["id"]
    sid = (await session(client, alice, aid, 30))["id"]
    await call(client, "PUT", f"/api/sessions/{sid}/complete/", alice)
    post = await call(
        client,
        "POST",
        "/api/posts/",
        alice,
        {"constellation_id": target["id"], "post_type": "progress", "message": "hi"},
        201,
    )
    bob_attempt = (await attempt(client, bob, target["id"]))["id"]
    alice_id = alice["user"]["id"]
    forbidden = [
        ("PUT", f"/api/constellation_attempts/{aid}/", None),
        ("PUT", f"/api/constellation_attempts/{aid}/complete", None),
        ("DELETE", f"/api/constellation_attempts/{aid}/", None),
        ("GET", f"/api/constellation_attempts/{aid}/sessions/", None),
        ("POST", f"/api/users/{alice_id}/constellation_attempts/", {"constellation_id": 1}),
        ("POST", "/api/sessions/", {"constellation_attempt_id": aid, "minutes": 5}),
        (
            "POST",
            "/api/sessions/",
            {"user_id": alice_id, "constellation_attempt_id": bob_attempt, "minutes": 5},
        ),
        (
            "POST",
            "/api/posts/",
            {"user_id": alice_id, "constellation_id": target["id"], "post_type": "progress"},
        ),
        ("DELETE", f"/api/posts/{post['id']}/", None),
        ("PUT", f"/api/constellations/{target['id']}/", {"name": "Mine now"}),
    ]
    for method, url, body in forbidden:
        response = await client.request(method, url, json=body, headers=bob["headers"])
        await expect_error(response, 403, "forbidden")
    hidden = [
        ("GET", f"/api/sessions/{sid}/"),
        ("PUT", f"/api/sessions/{sid}/complete/"),
        ("PUT", f"/api/sessions/{sid}/cancel/"),
        ("DELETE", f"/api/sessions/{sid}/"),
    ]
    for method, url in hidden:
        await expect_error(await client.request(method, url, headers=bob["headers"]), 404)
    # Public reads show public fields only.
    seen = await call(client, "GET", f"/api/constellation_attempts/{aid}/", bob)
    assert seen["stars_completed"] == 0 and seen["sessions"] == []
    profile_view = await call(client, "GET", f"/api/users/{alice_id}/", bob)
    assert profile_view["sessions"] == [] and profile_view["user"]["email"] is None
    assert profile_view["total_minutes"] == 30 and len(profile_view["posts"]) == 1
    assert (await call(client, "GET", "/api/sessions/", bob))["sessions"] == []
    mine = await call(client, "GET", "/api/constellation_attempts/", bob)
    assert [a["id"] for a in mine["constellation_attempts"]] == [bob_attempt]
    # Nothing of Alice's changed.
    own = await call(client, "GET", f"/api/sessions/{sid}", alice)
    assert own["status"] == "completed"
    assert (await call(client, "GET", f"/api/posts/{post['id']}", alice))["message"] == "hi"
    assert (await call(client, "GET", f"/api/users/{alice_id}/total_minutes", alice))[
        "total_minutes"
    ] == 30
    assert (await call(client, "GET", f"/api/users/{alice_id}/current-attempt", alice))["id"] == aid


async def test_delete_own_post_attempt_and_session(client) -> None:
    account = await register(client)
    target = await constellation(client, account)
    aid = (await attempt(client, account, target["id"]))["id"]
    kept = (await session(client, account, aid, 40))["id"]
    dropped = (await session(client, account, aid, 15))["id"]
    for sid in (kept, dropped):
        await call(client, "PUT", f"/api/sessions/{sid}/complete/", account)
    await call(client, "DELETE", f"/api/sessions/{dropped}/", account)
    uid = account["user"]["id"]
    total = f"/api/users/{uid}/total_minutes/"
    assert (await call(client, "GET", total, account))["total_minutes"] == 40
    post = await call(
        client,
        "POST",
        "/api/posts/",
        account,
        {"constellation_id": target["id"], "post_type": "milestone"},
        201,
    )
    assert post["message"] is None and post["study_duration"] is None
    assert (await call(client, "DELETE", f"/api/posts/{post['id']}/", account)) == {
        "message": "Post deleted successfully!"
    }
    await expect_error(
        await client.get(f"/api/posts/{post['id']}/", headers=account["headers"]), 404
    )
    deleted = await call(client, "DELETE", f"/api/constellation_attempts/{aid}/", account)
    assert deleted == {"message": "Constellation Attempt deleted successfully!"}
    assert (await call(client, "GET", total, account))["total_minutes"] == 0
    await expect_error(await client.get(f"/api/sessions/{kept}/", headers=account["headers"]), 404)
    me = await call(client, "GET", f"/api/users/{uid}/", account)
    assert me["current_attempt_id"] is None


async def test_cancelled_session_cannot_complete_and_cancel_removes_minutes(client) -> None:
    account = await register(client)
    aid = (await attempt(client, account, (await constellation(client, account))["id"]))["id"]
    sid = (await session(client, account, aid, 45))["id"]
    total = f"/api/users/{account['user']['id']}/total_minutes/"
    await call(client, "PUT", f"/api/sessions/{sid}/complete/", account)
    await call(client, "PUT", f"/api/sessions/{sid}/complete/", account)  # idempotent
    assert (await call(client, "GET", total, account))["total_minutes"] == 45
    await call(client, "PUT", f"/api/sessions/{sid}/cancel/", account)
    await call(client, "PUT", f"/api/sessions/{sid}/cancel/", account)
    assert (await call(client, "GET", total, account))["total_minutes"] == 0
    response = await client.put(f"/api/sessions/{sid}/complete/", headers=account["headers"])
    await expect_error(response, 409, "conflict")
    assert (await call(client, "GET", total, account))["total_minutes"] == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"minutes": "30"},
        {"minutes": 30.0},
        {"minutes": 29.5},
        {"minutes": True},
        {"minutes": 0},
        {"minutes": 601},
        {"minutes": -5},
        {"minutes": 10**30},
        {"minutes": None},
        {"minutes": "30; DROP TABLE focus_sessions; --"},
        {"constellation_attempt_id": "1 OR 1=1"},
        {"constellation_attempt_id": True},
        {"constellation_attempt_id": 10**30},
        {"user_id": "me"},
        {"is_completed": "yes"},
        {"hours": 1},
        {"minutes": "٣٠"},
    ],
)
async def test_session_create_rejects_bad_input(client, changes) -> None:
    account = await register(client)
    aid = (await attempt(client, account, (await constellation(client, account))["id"]))["id"]
    body = {"constellation_attempt_id": aid, "minutes": 30} | changes
    response = await client.post("/api/sessions/", json=body, headers=account["headers"])
    error = await expect_error(response, 422, "invalid_input")
    assert set(error["error"]["details"]) & (set(changes) | {"body"}), error
    assert (await call(client, "GET", "/api/sessions/", account))["sessions"] == []


async def test_session_create_missing_fields_and_unknown_attempt(client) -> None:
    account = await register(client)
    for body in ({}, {"minutes": 30}, {"constellation_attempt_id": 1}):
        response = await client.post("/api/sessions/", json=body, headers=account["headers"])
        await expect_error(response, 422, "invalid_input")
    response = await client.post(
        "/api/sessions/",
        json={"constellation_attempt_id": 999999, "minutes": 30},
        headers=account["headers"],
    )
    await expect_error(response, 404, "not_found")
    headers = account["headers"] | {"Content-Type": "application/json"}
    for raw, status in ((b"{not json", 400), (b"[1, 2]", 400), (b'"minutes"', 400)):
        response = await client.post("/api/sessions/", data=raw, headers=headers)
        await expect_error(response, status)
    response = await client.post(
        "/api/sessions/",
        data=b"minutes=30",
        headers=account["headers"] | {"Content-Type": "text/plain"},
    )
    await expect_error(response, 415)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Orion", "weight": "5"},
        {"name": "Orion", "weight": 5.0},
        {"name": "Orion", "weight": True},
        {"name": "Orion", "weight": 0},
        {"name": "Orion", "weight": 101},
        {"name": "Orion", "weight": 2**64},
        {"name": "", "weight": 3},
        {"name": "   ", "weight": 3},
        {"name": "x" * 101, "weight": 3},
        {"name": 7, "weight": 3},
        {"name": "Orion"},
        {"weight": 3},
        {"name": "Orion", "weight": 3, "created_by": 1},
    ],
)
async def test_constellation_create_rejects_bad_input(client, body) -> None:
    account = await register(client)
    response = await client.post("/api/constellations/", json=body, headers=account["headers"])
    await expect_error(response, 422, "invalid_input")
    assert (await call(client, "GET", "/api/constellations/", account))["constellations"] == []


async def test_unicode_and_sql_looking_text_is_stored_verbatim(client) -> None:
    account = await register(client)
    names = ["Ωrion ✨ 北斗七星", "'; DROP TABLE constellations; --", 'Robert"); --']
    for name in names:
        await constellation(client, account, name, 3)
    listed = await call(client, "GET", "/api/constellations/", account)
    assert [c["name"] for c in listed["constellations"]] == names
    first = listed["constellations"][0]["id"]
    body = {"constellation_id": first, "post_type": "progress", "message": "1 OR 1=1 🚀"}
    post = await call(client, "POST", "/api/posts/", account, body, 201)
    assert post["message"] == "1 OR 1=1 🚀"


@pytest.mark.parametrize(
    "changes",
    [
        {"post_type": "whatever"},
        {"post_type": None},
        {"study_duration": "30"},
        {"study_duration": True},
        {"study_duration": -1},
        {"message": "x" * 2001},
        {"message": 5},
        {"constellation_id": "1"},
    ],
)
async def test_post_create_rejects_bad_input(client, changes) -> None:
    account = await register(client)
    target = await constellation(client, account)
    body = {"constellation_id": target["id"], "post_type": "progress"} | changes
    response = await client.post("/api/posts/", json=body, headers=account["headers"])
    await expect_error(response, 422, "invalid_input")
    assert (await call(client, "GET", "/api/posts/", account))["posts"] == []


async def test_post_for_missing_constellation_is_404_not_an_orphan(client) -> None:
    account = await register(client)
    body = {"constellation_id": 424242, "post_type": "progress"}
    response = await client.post("/api/posts/", json=body, headers=account["headers"])
    await expect_error(response, 404, "not_found")
    assert (await call(client, "GET", "/api/posts/", account))["posts"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/sessions/abc/",
        "/api/sessions/1%20OR%201=1/",
        "/api/constellation_attempts/-1/",
        "/api/posts/1.5/",
        "/api/users/9999999999999999999999/total_minutes/",
        "/api/constellations/%F0%9F%9A%80/",
    ],
)
async def test_bad_path_ids_are_422(client, url) -> None:
    account = await register(client)
    await expect_error(await client.get(url, headers=account["headers"]), 422, "invalid_input")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=abc",
        "limit=1.5",
        "after=-1",
        "after=x",
        "page=2",
        "limit=99999999999999999999999",
    ],
)
async def test_pagination_out_of_range_is_422(client, query) -> None:
    account = await register(client)
    for url in ("/api/constellations/", "/api/sessions/", "/api/users/"):
        response = await client.get(f"{url}?{query}", headers=account["headers"])
        await expect_error(response, 422, "invalid_input")
    response = await client.get(
        f"/api/feed/?{query.replace('after', 'before')}", headers=account["headers"]
    )
    await expect_error(response, 422, "invalid_input")


async def test_pages_follow_cursors(client) -> None:
    account = await register(client)
    target = await constellation(client, account)
    for n in range(5):
        body = {"constellation_id": target["id"], "post_type": "progress", "message": str(n)}
        await call(client, "POST", "/api/posts/", account, body, 201)
    first = await call(client, "GET", "/api/feed/?limit=2", account)
    assert [p["message"] for p in first["posts"]] == ["4", "3"] and first["has_more"] is True
    last_id = first["posts"][-1]["id"]
    second = await call(client, "GET", f"/api/feed/?limit=2&before={last_id}", account)
    assert [p["message"] for p in second["posts"]] == ["2", "1"]
    everything = await call(client, "GET", "/api/posts/?limit=200", account)
    assert len(everything["posts"]) == 5 and everything["has_more"] is False
    for n in range(3):
        await constellation(client, account, f"C{n}", 2)
    page_one = await call(client, "GET", "/api/constellations/?limit=2", account)
    after = page_one["constellations"][-1]["id"]
    page_two = await call(client, "GET", f"/api/constellations/?limit=2&after={after}", account)
    assert [c["name"] for c in page_two["constellations"]] == ["C1", "C2"]
    assert page_two["has_more"] is False


async def test_routes_without_api_prefix_and_both_slash_forms(client) -> None:
    account = await register(client)
    target = await constellation(client, account)
    body = {"constellation_id": target["id"], "post_type": "progress"}
    await call(client, "POST", "/api/posts", account, body, 201)
    uid, cid = account["user"]["id"], target["id"]
    for url in (
        f"/users/{uid}/posts/",
        f"/users/{uid}/posts",
        f"/api/users/{uid}/posts/",
        f"/constellations/{cid}/posts/",
        f"/api/constellations/{cid}/posts",
    ):
        response = await client.get(url, headers=account["headers"], allow_redirects=False)
        assert response.status == 200, url
        assert len((await response.json())["posts"]) == 1
    await expect_error(
        await client.get("/users/424242/posts/", headers=account["headers"]), 404, "not_found"
    )
    await expect_error(
        await client.get("/constellations/424242/posts", headers=account["headers"]), 404
    )


async def test_every_luminary_route_requires_a_token(client) -> None:
    routes = [
        ("GET", "/api/users/"),
        ("GET", "/api/users/1/"),
        ("GET", "/api/users/1/current-attempt/"),
        ("GET", "/api/users/1/total_minutes/"),
        ("GET", "/api/users/1/completed_constellations/"),
        ("GET", "/api/users/1/posts/"),
        ("GET", "/users/1/posts/"),
        ("POST", "/api/users/sync-minutes/"),
        ("POST", "/api/constellations/"),
        ("GET", "/api/constellations/"),
        ("GET", "/api/constellations/1/"),
        ("PUT", "/api/constellations/1/"),
        ("DELETE", "/api/constellations/1/"),
        ("GET", "/constellations/1/posts/"),
        ("POST", "/api/users/1/constellation_attempts/"),
        ("GET", "/api/users/1/constellation_attempts/"),
        ("GET", "/api/constellation_attempts/"),
        ("GET", "/api/constellation_attempts/1/"),
        ("PUT", "/api/constellation_attempts/1/"),
        ("PUT", "/api/constellation_attempts/1/complete"),
        ("DELETE", "/api/constellation_attempts/1/"),
        ("GET", "/api/constellation_attempts/1/sessions/"),
        ("POST", "/api/sessions/"),
        ("GET", "/api/sessions/"),
        ("GET", "/api/sessions/1/"),
        ("PUT", "/api/sessions/1/complete/"),
        ("PUT", "/api/sessions/1/cancel/"),
        ("DELETE", "/api/sessions/1/"),
        ("POST", "/api/posts/"),
        ("GET", "/api/posts/"),
        ("GET", "/api/posts/1/"),
        ("DELETE", "/api/posts/1/"),
        ("GET", "/api/feed/"),
        ("GET", "/api/progress/me"),
    ]
    for method, url in routes:
        await expect_error(await client.request(method, url), 401, "unauthorized")
        bad = {"Authorization": "Bearer not-a-token"}
        await expect_error(await client.request(method, url, headers=bad), 401, "unauthorized")


async def test_register_alias_validates_like_register(client) -> None:
    body = profile()
    body["display_name"] = body.pop("name")
    for broken in (
        {k: v for k, v in body.items() if k != "password"},
        body | {"display_name": ""},
        body | {"email": "not-an-email"},
        {"display_name": "Only a name"},
    ):
        await expect_error(await client.post("/api/users/", json=broken), 422, "invalid_input")
    assert (await client.post("/api/users", json=body)).status == 201
    await expect_error(await client.post("/api/users/", json=body), 409, "conflict")
