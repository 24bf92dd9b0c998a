"""Every failure is a JSON 4xx envelope: never HTML, never a traceback."""

from __future__ import annotations

import pytest

from tests.helpers import expect_error, register


async def test_malformed_json_is_400(client) -> None:
    response = await client.post(
        "/api/auth/register", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    await expect_error(response, 400, "bad_request")


async def test_non_object_json_is_400(client) -> None:
    response = await client.post("/api/auth/login", json=[1, 2, 3])
    await expect_error(response, 400, "bad_request")


async def test_wrong_content_type_is_415(client) -> None:
    response = await client.post(
        "/api/auth/login",
        data=b"email=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    await expect_error(response, 415, "unsupported_media_type")


async def test_oversized_body_is_413(make_client) -> None:
    client = await make_client(max_body_bytes=1024)
    response = await client.post(
        "/api/auth/login",
        data=b'{"email": "' + b"a" * 4096 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    await expect_error(response, 413, "payload_too_large")


async def test_unknown_route_and_wrong_method(client) -> None:
    await expect_error(await client.get("/api/nope"), 404, "not_found")
    response = await client.delete("/api/auth/login")
    await expect_error(response, 405, "method_not_allowed")


async def test_trailing_slash_served_without_redirect(client) -> None:
    for path in ("/api/health", "/api/health/"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 200


async def test_health_reports_real_states(client) -> None:
    body = await (await client.get("/api/health")).json()
    assert body["database"] == "connected"
    assert body["redis"] == "disabled"
    assert body["ai_model"] in {"loading", "loaded"}
    assert set(body) >= {"status", "model_name", "version"}


async def test_openapi_document_lists_routes_with_schemas(client) -> None:
    doc = await (await client.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    register = doc["paths"]["/api/auth/register"]["post"]
    schema_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert "email" in schema["properties"] and "password" in schema["required"]
    page = await client.get("/api/docs")
    text = await page.text()  # the page renders the document itself (web/api-docs.js)
    assert page.status == 200 and "/static/api-docs.js" in text and "/api/openapi.json" in text


async def test_metrics_count_requests_and_request_id_is_echoed(client) -> None:
    response = await client.get("/api/health", headers={"X-Request-ID": "trace-123"})
    assert response.headers["X-Request-ID"] == "trace-123"
    metrics = await (await client.get("/metrics")).text()
    assert 'studysync_http_requests_total{method="GET",route="/api/health",status="200"}' in metrics


@pytest.mark.parametrize(
    "path",
    [
        "/api/notifications?before=99999999999999999999",
        "/api/chat/1/messages?after=99999999999999999999",
        "/api/groups/1/sessions?after=99999999999999999999",
        "/api/posts/?before=99999999999999999999",
    ],
)
async def test_cursors_beyond_any_id_are_refused_not_overflowed(client, path) -> None:
    account = await register(client)
    await expect_error(await client.get(path, headers=account["headers"]), 422, "invalid_input")
