"""Security headers, CORS, token revocation and secrets never leaving the server."""

from __future__ import annotations

import re

from tests.helpers import expect_error, register

BCRYPT_HASH = re.compile(r"\$2[aby]\$\d\d\$")


async def test_security_headers_on_api_and_error_responses(client) -> None:
    for response in (await client.get("/api/health"), await client.get("/api/missing")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


async def test_cors_same_origin_by_default(client) -> None:
    response = await client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 403


async def test_cors_allows_configured_origins(make_client) -> None:
    client = await make_client(cors_origins=("https://app.example",))
    preflight = await client.options(
        "/api/auth/login",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    other = await client.get("/api/health", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


async def test_logout_revokes_only_that_token(client) -> None:
    account = await register(client)
    second = await client.post(
        "/api/auth/login",
        json={"email": account["user"]["email"], "password": account["password"]},
    )
    second_headers = {"Authorization": f"Bearer {(await second.json())['token']}"}
    assert (await client.post("/api/auth/logout", headers=account["headers"])).status == 200
    await expect_error(await client.get("/api/auth/me", headers=account["headers"]), 401)
    assert (await client.get("/api/auth/me", headers=second_headers)).status == 200


async def test_password_hashes_and_passwords_never_serialised(client) -> None:
    alice = await register(client)
    bob = await register(client)
    responses = [
        await client.post(
            "/api/auth/login", json={"email": alice["user"]["email"], "password": alice["password"]}
        ),
        await client.get("/api/auth/me", headers=alice["headers"]),
        await client.get(f"/api/users/{alice['user']['id']}", headers=bob["headers"]),
        await client.get("/api/users/", headers=bob["headers"]),
    ]
    for response in responses:
        text = await response.text()
        assert not BCRYPT_HASH.search(text), text
        assert alice["password"] not in text
        assert "password_hash" not in text and "passwordHash" not in text


async def test_secrets_never_logged(client, caplog) -> None:
    caplog.set_level("DEBUG")
    account = await register(client)
    await client.post(
        "/api/auth/login", json={"email": account["user"]["email"], "password": "wrong-password"}
    )
    await client.get(f"/api/auth/me?token={account['token']}", headers=account["headers"])
    # aiohttp's own access log (on in the test server, off in server.py) prints raw query
    # strings; test_server_process checks the real process's whole output.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert "GET /api/auth/me" in logged  # our access log did run
    for secret in (account["password"], "wrong-password", account["token"]):
        assert secret not in logged
