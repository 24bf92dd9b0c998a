"""Authorization matrix: every authenticated route × every kind of caller, exact outcomes.

Each (route, role) pair runs against a fresh world, so a mutating call never changes what the
next role sees. Roles: the resource's owner (the group leader, or the author of the message or
notification), an active member, a pending member (asked to join an approval group), and an
outsider. Every row of ROUTES must exist for every authenticated route the app serves (checked).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from api.routing import ENDPOINTS
from app import create_app
from tests.api.test_groups import create_group
from tests.conftest import TEST_SECRET, settings_for, wipe
from tests.helpers import register

ROLES = ("owner", "member", "pending", "outsider")


@dataclass
class World:
    accounts: dict[str, dict[str, Any]]
    ids: dict[str, Any]  # ids, and the invite code


@dataclass(frozen=True)
class Case:
    """`expect` maps each role to a status; `user` names whose id fills {user_id}."""

    expect: dict[str, int]
    body: dict[str, Any] | None = None
    user: str = "member"
    query: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def members_only(status: int, denied: int = 403) -> dict[str, int]:
    return {"owner": status, "member": status, "pending": denied, "outsider": denied}


def owner_only(status: int, denied: int = 403) -> dict[str, int]:
    return {"owner": status, "member": denied, "pending": denied, "outsider": denied}


ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/api/auth/me"): Case(everyone(200)),
    ("GET", "/api/auth/profile"): Case(everyone(200)),
    ("PATCH", "/api/auth/me"): Case(everyone(200), {"major": "Physics"}),
    ("PATCH", "/api/auth/profile"): Case(everyone(200), {"major": "Physics"}),
    ("POST", "/api/auth/calendar-token"): Case(everyone(200)),
    ("POST", "/api/auth/logout"): Case(everyone(200)),
    ("POST", "/api/auth/logout-all"): Case(everyone(200)),
    ("POST", "/api/auth/resend-verification"): Case(everyone(200)),
    ("POST", "/api/auth/password"): Case(
        everyone(200),
        {"currentPassword": "correct horse battery", "newPassword": "a brand new secret"},
    ),
    ("DELETE", "/api/auth/me"): Case(everyone(204), {"password": "correct horse battery"}),
    ("GET", "/api/auth/me/export"): Case(everyone(200)),
    ("GET", "/api/users/{user_id}"): Case(everyone(200)),
    ("GET", "/api/notifications"): Case(everyone(200)),
    ("POST", "/api/notifications/{notification_id}/read"): Case(owner_only(200, 404)),
    ("POST", "/api/recommend"): Case(everyone(200), {}),
    ("POST", "/api/search"): Case(everyone(200), {"query": "calculus"}),
    ("POST", "/api/search/people"): Case(everyone(200), {"query": "calculus"}),
    ("POST", "/api/recommend/dismiss"): Case(everyone(200), {"kind": "suggested", "id": "0" * 20}),
    ("POST", "/api/groups/from-suggestion"): Case(everyone(409), {"key": "0" * 20}),
    ("POST", "/api/groups/create"): Case(everyone(201), {"title": "New", "subject": "Art"}),
    ("GET", "/api/groups/mine"): Case(everyone(200)),
    ("GET", "/api/groups/{group_id}"): Case(everyone(200)),
    ("POST", "/api/groups/{group_id}/join"): Case(everyone(200)),
    ("POST", "/api/groups/{group_id}/request-join"): Case(everyone(200)),
    ("POST", "/api/groups/{group_id}/requests/{user_id}/approve"): Case(
        owner_only(200), user="pending"
    ),
    ("POST", "/api/groups/{group_id}/requests/{user_id}/reject"): Case(
        owner_only(200), user="pending"
    ),
    ("POST", "/api/groups/{group_id}/leave"): Case(
        {"owner": 200, "member": 200, "pending": 200, "outsider": 404}
    ),
    ("DELETE", "/api/groups/{group_id}/members/{user_id}"): Case(owner_only(200)),
    ("GET", "/api/chat/{group_id}/messages"): Case(members_only(200)),
    ("POST", "/api/chat/{group_id}/send"): Case(members_only(201), {"content": "hi"}),
    ("POST", "/api/chat/{group_id}/message"): Case(members_only(201), {"content": "hi"}),
    ("POST", "/api/chat/message/{message_id}/react"): Case(members_only(200), {"emoji": "👍"}),
    ("PATCH", "/api/chat/message/{message_id}"): Case(owner_only(200), {"content": "edited"}),
    ("DELETE", "/api/chat/message/{message_id}"): Case(owner_only(200)),
    ("POST", "/api/chat/{group_id}/read"): Case(members_only(200), extra={"read": True}),
    ("POST", "/api/chat/message/{message_id}/pin"): Case(owner_only(200)),
    ("DELETE", "/api/chat/message/{message_id}/pin"): Case(owner_only(200)),
    ("GET", "/api/chat/{group_id}/pins"): Case(members_only(200)),
    # Luminary progress (docs/progress.md): the world's owner owns every progress resource.
    ("GET", "/api/users/"): Case(everyone(200)),
    ("GET", "/api/users/{user_id}/current-attempt/"): Case(everyone(200), user="owner"),
    ("GET", "/api/users/{user_id}/total_minutes/"): Case(everyone(200)),
    ("GET", "/api/users/{user_id}/completed_constellations/"): Case(everyone(200)),
    ("GET", "/api/users/{user_id}/posts/"): Case(everyone(200)),
    ("GET", "/users/{user_id}/posts/"): Case(everyone(200)),
    ("POST", "/api/users/sync-minutes/"): Case(everyone(403)),  # admins only: none of these
    ("POST", "/api/constellations/"): Case(everyone(201), {"name": "Vela", "weight": 3}),
    ("GET", "/api/constellations/"): Case(everyone(200)),
    ("GET", "/api/constellations/{constellation_id}/"): Case(everyone(200)),
    ("PUT", "/api/constellations/{constellation_id}/"): Case(owner_only(200), {"name": "Vela"}),
    ("DELETE", "/api/constellations/{constellation_id}/"): Case(
        {"owner": 409, "member": 403, "pending": 403, "outsider": 403}  # in use: 409
    ),
    ("GET", "/api/constellations/{constellation_id}/posts/"): Case(everyone(200)),
    ("GET", "/constellations/{constellation_id}/posts/"): Case(everyone(200)),
    ("POST", "/api/users/{user_id}/constellation_attempts/"): Case(
        owner_only(201), user="owner", extra={"ids": {"constellation_id": "constellation_id"}}
    ),
    ("GET", "/api/users/{user_id}/constellation_attempts/"): Case(everyone(200)),
    ("GET", "/api/constellation_attempts/"): Case(everyone(200)),
    ("GET", "/api/constellation_attempts/{attempt_id}/"): Case(everyone(200)),
    ("PUT", "/api/constellation_attempts/{attempt_id}/"): Case(owner_only(200)),
    ("PUT", "/api/constellation_attempts/{attempt_id}/complete"): Case(owner_only(200)),
    ("DELETE", "/api/constellation_attempts/{attempt_id}/"): Case(owner_only(200)),
    ("GET", "/api/constellation_attempts/{attempt_id}/sessions/"): Case(owner_only(200)),
    ("POST", "/api/sessions/"): Case(
        owner_only(201), {"minutes": 25}, extra={"ids": {"constellation_attempt_id": "attempt_id"}}
    ),
    ("GET", "/api/sessions/"): Case(everyone(200)),
    ("GET", "/api/sessions/{focus_session_id}/"): Case(owner_only(200, 404)),
    ("PUT", "/api/sessions/{focus_session_id}/complete/"): Case(owner_only(200, 404)),
    ("PUT", "/api/sessions/{focus_session_id}/cancel/"): Case(owner_only(200, 404)),
    ("DELETE", "/api/sessions/{focus_session_id}/"): Case(owner_only(200, 404)),
    ("POST", "/api/posts/"): Case(
        everyone(201),
        {"post_type": "progress"},
        extra={"ids": {"constellation_id": "constellation_id"}},
    ),
    ("GET", "/api/posts/"): Case(everyone(200)),
    ("GET", "/api/posts/{post_id}/"): Case(everyone(200)),
    ("DELETE", "/api/posts/{post_id}/"): Case(owner_only(200)),
    ("GET", "/api/feed/"): Case(everyone(200)),
    ("GET", "/api/progress/me"): Case(everyone(200)),
    # Group study sessions (docs/group-sessions.md): the owner leads the group and created it.
    ("POST", "/api/groups/{group_id}/sessions"): Case(members_only(201), extra={"session": True}),
    ("GET", "/api/groups/{group_id}/sessions"): Case(members_only(200)),
    ("PATCH", "/api/group-sessions/{session_id}"): Case(owner_only(200), {"title": "Moved"}),
    ("DELETE", "/api/group-sessions/{session_id}"): Case(owner_only(200)),
    ("POST", "/api/group-sessions/{session_id}/rsvp"): Case(members_only(200), {"status": "going"}),
    # Moderation and push (issue 17): the owner leads the group and wrote the message.
    ("GET", "/api/users/blocked"): Case(everyone(200)),
    ("POST", "/api/users/{user_id}/block"): Case(
        {"owner": 201, "member": 422, "pending": 201, "outsider": 201}  # the member is {user_id}
    ),
    ("DELETE", "/api/users/{user_id}/block"): Case(everyone(200)),
    ("POST", "/api/chat/message/{message_id}/report"): Case(
        {"owner": 422, "member": 201, "pending": 403, "outsider": 403}, {"reason": "spam"}
    ),
    ("GET", "/api/admin/reports"): Case(everyone(403)),  # admins only: none of these
    ("POST", "/api/admin/messages/{message_id}/restore"): Case(everyone(403)),
    ("DELETE", "/api/admin/messages/{message_id}"): Case(everyone(403)),
    ("POST", "/api/groups/{group_id}/members/{user_id}/mute"): Case(
        owner_only(200), {"minutes": 5}
    ),
    ("DELETE", "/api/groups/{group_id}/members/{user_id}/mute"): Case(owner_only(200)),
    ("GET", "/api/push/vapid-public-key"): Case(everyone(200)),
    ("POST", "/api/push/subscriptions"): Case(
        everyone(201), {"endpoint": "ab" * 32, "platform": "apns"}
    ),
    ("DELETE", "/api/push/subscriptions"): Case(everyone(204), {"endpoint": "ab" * 32}),
    ("PATCH", "/api/groups/{group_id}/me"): Case(members_only(200), {"notifications": "none"}),
    ("GET", "/api/groups/{group_id}/me"): Case(members_only(200)),
    # Search, directory and invites (docs/chat.md); {code} is an invite of the owner's group.
    ("GET", "/api/chat/search"): Case(everyone(200), query="?q=owner"),
    ("GET", "/api/groups"): Case(everyone(200)),
    ("POST", "/api/groups/{group_id}/invites"): Case(owner_only(201), {}),
    ("GET", "/api/groups/{group_id}/invites"): Case(owner_only(200)),
    ("DELETE", "/api/invites/{code}"): Case(owner_only(200)),
    ("GET", "/api/invites/{code}"): Case(everyone(200)),
    ("POST", "/api/invites/{code}/accept"): Case(everyone(200)),
}


@pytest.fixture
async def matrix_client(aiohttp_client: Any, sqlite_url: str) -> AsyncIterator[Any]:
    """Authorization does not depend on the engine: SQLite keeps the matrix quick."""
    yield await aiohttp_client(create_app(settings_for(sqlite_url)))
    await wipe(sqlite_url)


async def build_world(client: Any) -> World:
    accounts = {role: await register(client) for role in ROLES}
    owner, member, pending = accounts["owner"], accounts["member"], accounts["pending"]
    group_id = (await create_group(client, owner, joinPolicy="approval"))["id"]
    for account in (member, pending):
        response = await client.post(f"/api/groups/{group_id}/join", headers=account["headers"])
        assert response.status == 200, await response.text()
    approve = f"/api/groups/{group_id}/requests/{member['user']['id']}/approve"
    assert (await client.post(approve, headers=owner["headers"])).status == 200
    sent = await client.post(
        f"/api/chat/{group_id}/send", json={"content": "owner's"}, headers=owner["headers"]
    )
    notes = await (await client.get("/api/notifications", headers=owner["headers"])).json()
    ids = {
        "group_id": group_id,
        "message_id": (await sent.json())["message"]["id"],
        "notification_id": notes["notifications"][0]["id"],
    }
    ids |= await build_progress(client, owner)
    ids["session_id"] = await schedule_session(client, owner, group_id)
    invite = await client.post(f"/api/groups/{group_id}/invites", json={}, headers=owner["headers"])
    ids["code"] = (await invite.json())["invite"]["code"]
    return World(accounts, ids)


def session_body() -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=2)
    return {"title": "Review", "scheduledTime": start.isoformat(), "durationMinutes": 60}


async def schedule_session(client: Any, owner: dict[str, Any], group_id: int) -> int:
    url = f"/api/groups/{group_id}/sessions"
    response = await client.post(url, json=session_body(), headers=owner["headers"])
    assert response.status == 201, await response.text()
    return int((await response.json())["session"]["id"])


async def build_progress(client: Any, owner: dict[str, Any]) -> dict[str, int]:
    """The owner's constellation, current attempt, focus session and post."""

    async def post(url: str, body: dict[str, Any]) -> int:
        response = await client.post(url, json=body, headers=owner["headers"])
        assert response.status == 201, await response.text()
        return (await response.json())["id"]

    constellation_id = await post("/api/constellations/", {"name": "Lyra", "weight": 3})
    attempts = f"/api/users/{owner['user']['id']}/constellation_attempts/"
    attempt_id = await post(attempts, {"constellation_id": constellation_id})
    session = {"constellation_attempt_id": attempt_id, "minutes": 30}
    return {
        "constellation_id": constellation_id,
        "attempt_id": attempt_id,
        "focus_session_id": await post("/api/sessions/", session),
        "post_id": await post(
            "/api/posts/", {"constellation_id": constellation_id, "post_type": "progress"}
        ),
    }


def fill(path: str, world: World, case: Case) -> str:
    values = {**world.ids, "user_id": world.accounts[case.user]["user"]["id"]}
    return path.format(**values)


def body_for(case: Case, world: World) -> dict[str, Any] | None:
    if case.extra.get("session"):
        return session_body()
    if case.extra.get("read"):
        return {"messageId": world.ids["message_id"]}
    if "ids" in case.extra:  # body keys filled from the world's ids
        return (case.body or {}) | {k: world.ids[v] for k, v in case.extra["ids"].items()}
    return case.body


CASES = [(method, path, role) for (method, path) in ROUTES for role in ROLES]


@pytest.mark.parametrize(("method", "path", "role"), CASES)
async def test_route_by_role(matrix_client: Any, method: str, path: str, role: str) -> None:
    world = await build_world(matrix_client)
    case = ROUTES[(method, path)]
    response = await matrix_client.request(
        method,
        fill(path, world, case) + case.query,
        json=body_for(case, world),
        headers=world.accounts[role]["headers"],
    )
    expected = case.expect[role]
    assert response.status == expected, f"{role}: {response.status} {await response.text()}"
    if expected >= 400:
        assert (await response.json())["success"] is False


def bad_tokens(user_id: int) -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {"sub": str(user_id), "user_id": user_id, "iat": now, "exp": now + 600}
    header_only = jwt.encode(claims, "", algorithm="none")
    return {
        "no token": {},
        "expired": _bearer(jwt.encode({**claims, "exp": now - 10}, TEST_SECRET, "HS256")),
        "other key": _bearer(jwt.encode(claims, "another-key-" + "y" * 40, "HS256")),
        "alg none": _bearer(header_only),
        "not a jwt": _bearer("not-a-token"),
        "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_authenticated_route_refuses_bad_tokens(matrix_client: Any) -> None:
    world = await build_world(matrix_client)
    endpoints = [e for e in matrix_client.server.app[ENDPOINTS] if e.auth]
    for kind, headers in bad_tokens(world.accounts["owner"]["user"]["id"]).items():
        for endpoint in endpoints:
            case = ROUTES.get((endpoint.method, endpoint.path), Case(everyone(200), user="owner"))
            url = fill(endpoint.path, world, case)
            response = await matrix_client.request(
                endpoint.method, url, json=body_for(case, world), headers=headers
            )
            assert response.status == 401, f"{kind}: {endpoint.method} {url} {response.status}"
            assert (await response.json())["error"]["code"] == "unauthorized"


def test_matrix_covers_every_authenticated_route(sqlite_url: str) -> None:
    app = create_app(settings_for(sqlite_url))
    served = {(e.method, e.path) for e in app[ENDPOINTS] if e.auth}
    missing = sorted(served - set(ROUTES))
    assert not missing, f"add these routes to the authorization matrix: {missing}"
    assert not set(ROUTES) - served, "the matrix names routes the app no longer serves"
