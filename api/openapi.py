"""The OpenAPI 3.1 document, generated from the route tables' pydantic schemas, and a docs page."""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import JsonSchemaMode

from api.errors import CODE_BY_STATUS
from api.routing import ENDPOINTS, Endpoint, Routes, json_response
from api.schemas import ErrorOut

routes = Routes("operations")


class OpenApiOut(BaseModel):
    """This document (OpenAPI 3.1)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


_PARAM = re.compile(r"\{(\w+)\}")
# Statuses every request of a kind can meet, whatever the route does.
_BODY_ERRORS = (400, 413, 415, 422)
_ALWAYS = (503,)  # the database is unreachable


def _schema_of(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
    return model.model_json_schema(
        by_alias=True, mode=mode, ref_template="#/components/schemas/{model}"
    )


def _schema(
    model: type[BaseModel], components: dict[str, Any], mode: JsonSchemaMode
) -> dict[str, Any]:
    schema = _schema_of(model, mode)
    for name, definition in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        if components.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name}: rename one model")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _path_schema(name: str) -> dict[str, Any]:
    """`…_id` path parts are integer ids (api/routing.py checks them); others are strings
    (e.g. an invite `code`)."""
    if name.endswith("_id"):
        return {"type": "integer", "minimum": 0}
    return {"type": "string"}


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(name)}
        for name in _PARAM.findall(endpoint.path)
    ]
    if endpoint.query is not None:
        for name, field in endpoint.query.model_fields.items():
            schema = endpoint.query.model_json_schema()["properties"][field.alias or name]
            parameters.append({"name": field.alias or name, "in": "query", "schema": schema})
    ok_schema = (
        _schema(endpoint.response, components, "serialization")
        if endpoint.response
        else {"type": "string"}
    )
    responses: dict[str, Any] = {
        str(endpoint.status): {
            "description": "Success",
            "content": {endpoint.media_type: {"schema": ok_schema}},
        }
        if endpoint.status != 204
        else {"description": "Success, no content"}
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for status in sorted(_error_statuses(endpoint)):
        responses[str(status)] = {"description": CODE_BY_STATUS[status], "content": error}
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": endpoint.method.lower()
        + "_"
        + re.sub(r"\W+", "_", endpoint.path).strip("_"),
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {"schema": _schema(endpoint.body, components, "validation")}
            },
        }
    if endpoint.auth:
        operation["security"] = [{"bearer": []}]
    return operation


def _error_statuses(endpoint: Endpoint) -> set[int]:
    """What the routing layer answers (auth, path ids, query, body) plus the route's own."""
    statuses = {*_ALWAYS, *endpoint.errors}
    if endpoint.auth:
        statuses.add(401)
    if _PARAM.search(endpoint.path):
        statuses |= {404, 422}
    if endpoint.query is not None:
        statuses.add(422)
    if endpoint.body is not None:
        statuses |= set(_BODY_ERRORS)
    return statuses


def build_document(endpoints: list[Endpoint]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    _schema(ErrorOut, components, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operations = paths.setdefault(endpoint.path, {})
        operations[endpoint.method.lower()] = _operation(endpoint, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "StudySync API", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


@routes.get("/api/openapi.json", response=OpenApiOut, auth=False, summary="This document")
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(build_document(request.app[ENDPOINTS]))


@routes.get(
    "/api/docs", media_type="text/html", auth=False, summary="A readable page of every route"
)
async def docs_page(request: web.Request) -> web.Response:
    rows = []
    endpoints: list[Endpoint] = request.app[ENDPOINTS]
    for endpoint in sorted(endpoints, key=lambda e: (e.tag, e.path, e.method)):
        body = endpoint.body.__name__ if endpoint.body else ""
        rows.append(
            f"<tr><td>{endpoint.tag}</td><td><code>{endpoint.method}</code></td>"
            f"<td><code>{html.escape(endpoint.path)}</code></td><td>{html.escape(endpoint.summary)}</td>"
            f"<td>{'yes' if endpoint.auth else 'no'}</td><td>{html.escape(body)}</td></tr>"
        )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>StudySync API</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:72rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.4rem;text-align:left;vertical-align:top}code{font-size:13px}</style></head><body>"
        "<h1>StudySync API</h1><p>Machine-readable: <a href='/api/openapi.json'>/api/openapi.json"
        "</a>. Every route is also served with a trailing slash. Authenticated routes take "
        "<code>Authorization: Bearer &lt;token&gt;</code>. Errors are "
        "<code>{success:false, error:{code,message,details}, message}</code>.</p>"
        "<table><tr><th>area</th><th>method</th><th>path</th><th>what</th><th>auth</th>"
        "<th>body</th></tr>" + "".join(rows) + "</table></body></html>"
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")
