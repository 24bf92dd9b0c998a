"""The OpenAPI 3.1 document, generated from the route tables' pydantic schemas, and a docs page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import JsonSchemaMode

from api.errors import CODE_BY_STATUS
from api.openapi_examples import EXAMPLES, error_example
from api.routing import ENDPOINTS, Endpoint, Routes, json_response
from api.schemas import ErrorOut
from domain.errors import EmailUnverified
from settings import project_version

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
UNVERIFIED = EmailUnverified.code


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
    success: dict[str, Any] = {"schema": ok_schema}
    if (endpoint.method, endpoint.path) in EXAMPLES:
        success["example"] = EXAMPLES[endpoint.method, endpoint.path]
    responses: dict[str, Any] = {
        str(endpoint.status): {"description": "Success", "content": {endpoint.media_type: success}}
        if endpoint.status != 204
        else {"description": "Success, no content"}
    }
    for status in sorted(_error_statuses(endpoint)):
        responses[str(status)] = _error_response(endpoint, status)
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": endpoint.method.lower()
        + "_"
        + re.sub(r"\W+", "_", endpoint.path).strip("_"),
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.request_body is not None:
        operation["requestBody"] = endpoint.request_body
    elif endpoint.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {"schema": _schema(endpoint.body, components, "validation")}
            },
        }
    if endpoint.auth:
        operation["security"] = [{"bearer": []}]
    return operation


def _error_response(endpoint: Endpoint, status: int) -> dict[str, Any]:
    code = description = CODE_BY_STATUS[status]
    if status == 403 and endpoint.verified_email:
        unverified = f"{UNVERIFIED} (the caller's email is not verified and [accounts] "
        unverified += "require_verified_email is on)"
        if 403 in endpoint.errors:  # the route refuses for reasons of its own too
            description = f"{code}, or {unverified}"
        else:
            code, description = UNVERIFIED, unverified
    error = {
        "schema": {"$ref": "#/components/schemas/ErrorOut"},
        "example": error_example(status, code),
    }
    return {"description": description, "content": {"application/json": error}}


def _error_statuses(endpoint: Endpoint) -> set[int]:
    """What the routing layer answers (auth, verified email, path ids, query, body) plus the
    route's own."""
    statuses = {*_ALWAYS, *endpoint.errors}
    if endpoint.auth:
        statuses.add(401)
    if endpoint.verified_email:
        statuses.add(403)
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
        "info": {"title": "StudySync API", "version": project_version()},
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


DOCS_PAGE = Path(__file__).resolve().parent.parent / "web" / "api-docs.html"


@routes.get(
    "/api/docs", media_type="text/html", auth=False, summary="A readable page of every route"
)
async def docs_page(request: web.Request) -> web.FileResponse:
    """web/api-docs.html: a self-contained page (no CDN) that renders /api/openapi.json."""
    return web.FileResponse(DOCS_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
