"""Accounts over real HTTP, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import expect_error, profile, register


async def test_register_returns_token_and_profile(client) -> None:
    response = await client.post("/api/auth/register", json=profile(email="Ada@Uni.EDU"))
    assert response.status == 201
    body = await response.json()
    assert body["success"] is True and body["message"] == "Registration successful"
    user = body["user"]
    assert isinstance(user["id"], int)
    assert user["email"] == "ada@uni.edu"
    assert user["performanceLevel"] == 4 and user["performance_level"] == 4
    assert user["schedule"] == {"Monday": ["Evening (5-9 PM)"], "Wednesday": ["Evening (5-9 PM)"]}
    assert "password" not in str(body).lower().replace("password_hash", "")
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert (await me.json())["user"]["id"] == user["id"]


async def test_register_accepts_mobile_client_snake_case(client) -> None:
    body = {
        "name": "Mo Bile",
        "email": "mo@college.edu",
        "password": "abcdefgh1",
        "major": "Biology",
        "year": "Freshman",
        "subjects": ["Biology"],
        "learning_style": "flashcards",
        "preferred_group_size": 5,
        "availability": {"Tuesday": ["Morning (8-12 PM)"]},
        "study_preferences": ["labs"],
    }
    response = await client.post("/api/auth/register", json=body)
    assert response.status == 201, await response.text()
    user = (await response.json())["user"]
    assert user["learningStyle"] == "flashcards"
    assert user["schedule"] == {"Tuesday": ["Morning (8-12 PM)"]}
    assert user["groupPreferences"] == {"groupSize": 5, "studyGoals": ["labs"]}
    assert user["studyPreferences"] == ["labs"]


async def test_duplicate_email_is_409_and_stores_nothing_new(client) -> None:
    await register(client, email="dup@uni.edu")
    again = await client.post("/api/auth/register", json=profile(email="DUP@uni.edu"))
    await expect_error(again, 409, "conflict")


async def test_concurrent_duplicate_registrations_create_one_account(client) -> None:
    bodies = [profile(email="race@uni.edu") for _ in range(4)]
    responses = await asyncio.gather(*(client.post("/api/auth/register", json=b) for b in bodies))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 409, 409, 409]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "someone@gmail.com"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"performanceLevel": 6}, "performanceLevel"),
        ({"performanceLevel": "4"}, "performanceLevel"),
        ({"performanceLevel": True}, "performanceLevel"),
        ({"subjects": "Math"}, "subjects"),
        ({"schedule": {"Funday": ["Morning (8-12 PM)"]}}, "schedule"),
        ({"schedule": {"Monday": ["Brunch"]}}, "schedule"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"isAdmin": True}, "isAdmin"),
    ],
)
async def test_register_rejects_bad_fields_by_name(client, changes, field) -> None:
    response = await client.post("/api/auth/register", json=profile(**changes))
    body = await expect_error(response, 422, "invalid_input")
    assert any(field in key for key in body["error"]["details"]), body


async def test_register_missing_fields_are_named(client) -> None:
    response = await client.post("/api/auth/register", json={"name": "No Mail"})
    body = await expect_error(response, 422, "invalid_input")
    assert {"email", "password"} <= set(body["error"]["details"])


async def test_sql_looking_and_unicode_input_is_stored_verbatim(client) -> None:
    name = "Robert'); DROP TABLE users;-- 🎓 Zoë 李"
    account = await register(client, name=name)
    me = await client.get("/api/auth/me", headers=account["headers"])
    assert (await me.json())["user"]["name"] == name


async def test_login_success_and_generic_failure(client) -> None:
    account = await register(client, email="login@uni.edu")
    ok = await client.post(
        "/api/auth/login", json={"email": "LOGIN@uni.edu", "password": account["password"]}
    )
    assert ok.status == 200
    body = await ok.json()
    assert body["success"] is True and body["user"]["email"] == "login@uni.edu"
    wrong = await client.post(
        "/api/auth/login", json={"email": "login@uni.edu", "password": "nope1234"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "ghost@uni.edu", "password": "nope1234"}
    )
    first = await expect_error(wrong, 401, "unauthorized")
    second = await expect_error(unknown, 401, "unauthorized")
    assert first["message"] == second["message"] == "Invalid email or password"


async def test_login_is_throttled_per_account_with_retry_after(make_client) -> None:
    client = await make_client()
    account = await register(client, email="throttle@uni.edu")
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"email": "throttle@uni.edu", "password": "wrong-password"}
        )
        assert response.status == 401
    blocked = await client.post(
        "/api/auth/login", json={"email": "throttle@uni.edu", "password": account["password"]}
    )
    await expect_error(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) > 0


async def test_token_rules(client) -> None:
    account = await register(client)
    user_id = account["user"]["id"]
    now = int(time.time())
    expired = jwt.encode(
        {"sub": str(user_id), "iat": now - 100, "exp": now - 10}, TEST_SECRET, "HS256"
    )
    other_key = jwt.encode({"sub": str(user_id), "iat": now, "exp": now + 60}, "k" * 40, "HS256")
    unsigned = jwt.encode({"sub": str(user_id), "iat": now, "exp": now + 60}, None, "none")
    for token in (expired, other_key, unsigned, "garbage", ""):
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        await expect_error(response, 401, "unauthorized")
    await expect_error(await client.get("/api/auth/me"), 401, "unauthorized")
    token = account["token"]
    claims = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user_id) and claims["user_id"] == user_id
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600


async def test_logout_everywhere_revokes_tokens(client) -> None:
    account = await register(client)
    response = await client.post("/api/auth/logout-all", headers=account["headers"])
    assert response.status == 200
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)


async def test_patch_profile_changes_only_sent_fields(client) -> None:
    account = await register(client)
    response = await client.patch(
        "/api/auth/me",
        json={"major": "Physics", "learningStyle": "solo reading"},
        headers=account["headers"],
    )
    assert response.status == 200, await response.text()
    user = (await response.json())["user"]
    assert user["major"] == "Physics" and user["learningStyle"] == "solo reading"
    assert user["subjects"] == account["user"]["subjects"]
    bad = await client.patch(
        "/api/auth/me", json={"email": "x@uni.edu"}, headers=account["headers"]
    )
    await expect_error(bad, 422, "invalid_input")
    me = await client.get("/api/auth/profile", headers=account["headers"])
    assert (await me.json())["user"]["major"] == "Physics"


async def test_public_user_profile_hides_private_fields(client) -> None:
    alice = await register(client)
    bob = await register(client)
    response = await client.get(f"/api/users/{alice['user']['id']}", headers=bob["headers"])
    body = await response.json()
    assert body["success"] is True
    assert body["id"] == alice["user"]["id"] and body["display_name"] == alice["user"]["name"]
    assert body["user"]["email"] is None and "calendarToken" not in body["user"]
    own = await (
        await client.get(f"/api/users/{bob['user']['id']}/", headers=bob["headers"])
    ).json()
    assert own["user"]["email"] == bob["user"]["email"]
    await expect_error(
        await client.get("/api/users/999999", headers=bob["headers"]), 404, "not_found"
    )
    await expect_error(await client.get("/api/users/abc", headers=bob["headers"]), 422)


async def test_passwords_are_used_exactly_as_typed(client) -> None:
    typed = "  Password123!  "

    async def login(email: str, password: str) -> int:
        body = {"email": email, "password": password}
        return (await client.post("/api/auth/login", json=body)).status

    await register(client, email="spaces@uni.edu", password=typed)
    assert await login("spaces@uni.edu", typed) == 200
    for altered in (typed.strip(), typed.lstrip(), typed + " "):
        assert await login("spaces@uni.edu", altered) == 401
    # The Luminary alias registers through the same rule.
    body = {"email": "spaces2@uni.edu", "password": typed, "display_name": "Spacey"}
    assert (await client.post("/api/users/", json=body)).status == 201
    assert await login("spaces2@uni.edu", typed) == 200
    blank = await client.post("/api/auth/register", json=profile(password=" " * 10))
    await expect_error(blank, 422, "invalid_input")
