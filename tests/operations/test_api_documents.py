"""The API documents as a client reads them: /api/openapi.json is a valid OpenAPI 3.1 document
(openapi-spec-validator) whose examples match their own schemas, and /api/docs renders it with
local files only; /api/asyncapi.json is valid against the AsyncAPI 3.0 JSON schema and lists
exactly the events the /chat namespace handles and emits. Schemathesis checks every
operation's responses against the OpenAPI document: tests/security/test_openapi_fuzz.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from openapi_spec_validator import validate

from api.openapi_examples import EXAMPLES
from realtime.wire import WIRE
from tests.processes import ROOT


async def fetch_json(client: Any, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status == 200
    return await response.json()


def check_example(document: dict[str, Any], schema: dict[str, Any], example: Any) -> None:
    """The example against its schema, component references resolved within the document."""
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(
        example
    )


async def test_openapi_document_is_valid_and_its_examples_match(client: Any) -> None:
    document = await fetch_json(client, "/api/openapi.json")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    seen = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    if "example" in content:
                        check_example(document, content["schema"], content["example"])
                        seen.add((method.upper(), path, status))
                if status.startswith(("4", "5")):
                    assert "example" in response["content"]["application/json"], (path, status)
    documented = {(method, path) for method, path, status in seen if status.startswith("2")}
    assert set(EXAMPLES) <= documented  # no example for a route that does not exist


async def test_docs_page_renders_the_document_with_local_files_only(client: Any) -> None:
    page = await client.get("/api/docs")
    html = await page.text()
    assert page.status == 200 and page.content_type == "text/html"
    assert "http://" not in html and "https://" not in html  # no CDN
    script = await client.get("/static/api-docs.js")
    assert script.status == 200 and "/api/openapi.json" in await script.text()
    assert (await client.get("/static/api-docs.css")).status == 200


SCHEMAS = Path(__file__).parent / "schemas"
# `await self.emit("name", ...)` in the namespace: its direct server→client events
DIRECT_EMIT = re.compile(r"\.emit\(\s*\"([^\"]+)\"")


def namespace_of(client: Any) -> Any:
    from realtime.namespace import NAMESPACE
    from wiring.keys import SOCKETIO

    return client.server.app[SOCKETIO].namespace_handlers[NAMESPACE]


async def test_asyncapi_document_is_valid_against_the_asyncapi_3_schema(client: Any) -> None:
    document = await fetch_json(client, "/api/asyncapi.json")
    schema = json.loads((SCHEMAS / "asyncapi-3.0.0.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=str)
    assert not errors, [error.message for error in errors[:5]]
    assert document["asyncapi"] == "3.0.0"


async def test_asyncapi_documents_every_event_the_namespace_handles_or_emits(client: Any) -> None:
    document = await fetch_json(client, "/api/asyncapi.json")
    messages = document["components"]["messages"]
    received = {
        messages[op["messages"][0]["$ref"].rsplit("/", 1)[1]]["name"]
        for op in document["operations"].values()
        if op["action"] == "receive"
    }
    sent = {
        messages[op["messages"][0]["$ref"].rsplit("/", 1)[1]]["name"]
        for op in document["operations"].values()
        if op["action"] == "send"
    }
    namespace = namespace_of(client)
    assert set(namespace.client_events) == received
    for name in namespace.client_events:  # each with its ack
        assert "reply" in document["operations"][f"receive_{name.replace(':', '_')}"]
    source = (ROOT / "realtime" / "namespace.py").read_text()
    emitted = {row.event for row in WIRE.values()} | set(DIRECT_EMIT.findall(source))
    assert emitted == sent
    # a handled event the document lacks would fail above; so would one the document invents


async def test_asyncapi_client_payloads_are_the_namespace_models(client: Any) -> None:
    document = await fetch_json(client, "/api/asyncapi.json")
    send = document["components"]["messages"]["message_send"]["payload"]
    assert {"groupId", "content", "clientId"} <= set(send["properties"])
    assert send["required"] == ["groupId"] and send["additionalProperties"] is False


async def test_openapi_documents_email_unverified_and_the_upload_body(client: Any) -> None:
    """Every route of a `verified_email` table answers 403 `email_unverified` (matching's only
    403, so its example); POST /api/uploads takes multipart/form-data with a binary `file`."""
    from api import chat, groups, matching

    document = await fetch_json(client, "/api/openapi.json")
    for table in (matching.routes, chat.routes, groups.routes):
        for endpoint in table.endpoints:
            forbidden = document["paths"][endpoint.path][endpoint.method.lower()]["responses"]
            assert "email_unverified" in forbidden["403"]["description"], endpoint.path
    for endpoint in matching.routes.endpoints:
        operation = document["paths"][endpoint.path][endpoint.method.lower()]
        example = operation["responses"]["403"]["content"]["application/json"]["example"]
        assert example["error"]["code"] == "email_unverified", endpoint.path
    upload = document["paths"]["/api/uploads"]["post"]["requestBody"]
    assert upload["required"] is True
    multipart = upload["content"]["multipart/form-data"]["schema"]
    assert multipart["required"] == ["file"]
    assert multipart["properties"]["file"] == {
        **multipart["properties"]["file"],
        "type": "string",
        "format": "binary",
    }
