"""Every route's 2xx answers match the response model its decorator declares, as the OpenAPI
document publishes it (camelCase aliases, `additionalProperties: false`): a key added to or
dropped from a builder without its model fails here.

Calls every route with real data: the authorization matrix's table and world
(tests/api/test_authorization_matrix.py), each caller it expects a 2xx for, a fresh world for
each call that changes something."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from api.openapi import build_document
from api.routing import ENDPOINTS, Endpoint
from settings import load_settings
from tests.accounts_helpers import Outbox
from tests.api.test_authorization_matrix import ROUTES, World, body_for, build_world, fill
from tests.helpers import profile, register
from wiring.keys import MATCHING, SETTINGS

JSON = "application/json"
ADMIN_EMAIL = "admin@uni.edu"


class Checker:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.document = build_document(endpoints)
        self.checked: set[tuple[str, str]] = set()

    def validator(self, endpoint: Endpoint) -> Any:
        answer = self.document["paths"][endpoint.path][endpoint.method.lower()]["responses"]
        schema = answer[str(endpoint.status)]["content"][JSON]["schema"]
        root = {"components": self.document["components"], **schema}
        return jsonschema_rs.Draft202012Validator(root, validate_formats=True)

    async def check(self, endpoint: Endpoint, response: Any) -> None:
        """A 2xx (200 or the declared status) whose body the declared schema accepts."""
        text = await response.text()
        assert 200 <= response.status < 300, f"{endpoint.method} {endpoint.path}: {text}"
        if endpoint.status == 204:
            assert response.status == 204 and not text
            self.checked.add((endpoint.method, endpoint.path))
            return
        body = await response.json()
        errors = [
            f"{'/'.join(map(str, error.instance_path))}: {error.message}"
            for error in self.validator(endpoint).iter_errors(body)
        ]
        assert not errors, f"{endpoint.method} {endpoint.path} drifted from its model: {errors}"
        self.checked.add((endpoint.method, endpoint.path))


async def call(client: Any, endpoint: Endpoint, world: World, role: str) -> Any:
    case = ROUTES[(endpoint.method, endpoint.path)]
    return await client.request(
        endpoint.method,
        fill(endpoint.path, world, case) + case.query,
        json=body_for(case, world),
        headers=world.accounts[role]["headers"],
    )


async def check_authenticated(client: Any, checker: Checker, endpoints: list[Endpoint]) -> None:
    shared = await build_world(client)  # reads do not change it
    for endpoint in endpoints:
        case = ROUTES[(endpoint.method, endpoint.path)]
        for role in (role for role, status in case.expect.items() if status < 300):
            world = shared if endpoint.method == "GET" else await build_world(client)
            await checker.check(endpoint, await call(client, endpoint, world, role))


async def check_public(client: Any, checker: Checker, by_route: dict[tuple[str, str], Endpoint]):
    body = profile()
    await checker.check(
        by_route["POST", "/api/auth/register"], await client.post("/api/auth/register", json=body)
    )
    login = {"email": body["email"], "password": body["password"]}
    await checker.check(
        by_route["POST", "/api/auth/login"], await client.post("/api/auth/login", json=login)
    )
    luminary = profile()
    luminary["display_name"] = luminary.pop("name")
    await checker.check(
        by_route["POST", "/api/users/"], await client.post("/api/users/", json=luminary)
    )
    for path in ("/api/health", "/api/health/live", "/api/health/ready", "/api/openapi.json"):
        await checker.check(by_route["GET", path], await client.get(path))
    await check_account_mail_routes(client, checker, by_route, body)


async def check_account_mail_routes(
    client: Any, checker: Checker, by_route: dict[tuple[str, str], Endpoint], body: dict[str, Any]
) -> None:
    """The routes that take a token from a mail (read from the test outbox) or a refresh token."""
    outbox = Outbox(client.server.app[SETTINGS].email.outbox_path())
    verify = await outbox.token_for(body["email"], "Verify")
    response = await client.post("/api/auth/verify-email", json={"token": verify})
    await checker.check(by_route["POST", "/api/auth/verify-email"], response)
    response = await client.post("/api/auth/password/forgot", json={"email": body["email"]})
    await checker.check(by_route["POST", "/api/auth/password/forgot"], response)
    reset = await outbox.token_for(body["email"], "Reset")
    new = {"token": reset, "password": "another good password"}
    response = await client.post("/api/auth/password/reset", json=new)
    await checker.check(by_route["POST", "/api/auth/password/reset"], response)
    refresh = {"refreshToken": (await response.json())["refreshToken"]}
    response = await client.post("/api/auth/refresh", json=refresh)
    await checker.check(by_route["POST", "/api/auth/refresh"], response)


async def check_variants(client: Any, checker: Checker, by_route: dict[tuple[str, str], Endpoint]):
    """Answers the matrix does not reach: a retried send (200), a public profile, search hits."""
    world = await build_world(client)
    member = world.accounts["member"]
    send = f"/api/chat/{world.ids['group_id']}/send"
    for _ in range(2):
        response = await client.post(
            send, json={"content": "again", "clientId": "c-1"}, headers=member["headers"]
        )
        await checker.check(by_route["POST", "/api/chat/{group_id}/send"], response)
    stranger = await register(client)
    url = f"/api/users/{stranger['user']['id']}"
    response = await client.get(url, headers=member["headers"])
    await checker.check(by_route["GET", "/api/users/{user_id}"], response)
    constellation = await client.post(
        "/api/constellations/", json={"name": "Unused", "weight": 2}, headers=member["headers"]
    )
    url = f"/api/constellations/{(await constellation.json())['id']}/"
    response = await client.delete(url, headers=member["headers"])
    await checker.check(by_route["DELETE", "/api/constellations/{constellation_id}/"], response)
    admin = await register(client, email=ADMIN_EMAIL)
    response = await client.post("/api/users/sync-minutes/", headers=admin["headers"])
    await checker.check(by_route["POST", "/api/users/sync-minutes/"], response)
    for path in ("/api/search", "/api/search/people"):
        response = await client.post(path, json={"query": "Student"}, headers=member["headers"])
        await checker.check(by_route["POST", path], response)
        assert (await response.json())["results"], "search found nothing to check"
    await check_suggestions(client, checker, by_route)


async def check_suggestions(
    client: Any, checker: Checker, by_route: dict[tuple[str, str], Endpoint]
):
    """A suggested group (in POST /api/recommend) and its creation (201)."""
    first, _ = [await register(client, subjects=["Astronomy"]) for _ in range(2)]
    await client.server.app[MATCHING].settle()
    response = await client.post("/api/recommend", json={}, headers=first["headers"])
    await checker.check(by_route["POST", "/api/recommend"], response)
    (key, *_) = [g["key"] for g in (await response.json())["suggestedGroups"]]
    route = "/api/groups/from-suggestion"
    response = await client.post(route, json={"key": key}, headers=first["headers"])
    assert response.status == 201, await response.text()
    await checker.check(by_route["POST", route], response)


def test_every_json_route_declares_a_response_model(sqlite_url: str) -> None:
    from app import create_app
    from tests.conftest import settings_for

    endpoints = create_app(settings_for(sqlite_url))[ENDPOINTS]
    missing = [
        f"{e.method} {e.path}"
            for e in endpoints
            if e.media_type == JSON and e.response is None and e.status != 204
    ]
    assert not missing, f"declare response= on: {missing}"


async def test_every_answer_matches_its_declared_model(make_client: Any, tmp_path: Any) -> None:
    loaded = load_settings(environ={"ADMIN_EMAILS": ADMIN_EMAIL, "OUTBOX_DIR": str(tmp_path)})
    client = await make_client(accounts=loaded.accounts, email=loaded.email)
    endpoints: list[Endpoint] = client.server.app[ENDPOINTS]
    checker = Checker(endpoints)
    by_route = {(e.method, e.path): e for e in endpoints}
    await check_authenticated(client, checker, [e for e in endpoints if e.auth])
    await check_public(client, checker, by_route)
    await check_variants(client, checker, by_route)
    unchecked = {(e.method, e.path) for e in endpoints if e.media_type == JSON} - checker.checked
    assert not unchecked, f"no 2xx answer was checked for: {sorted(unchecked)}"
