"""Route tables that remember their schemas (for OpenAPI) and serve both slash forms."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from api.errors import error_response, validation_details
from domain.errors import InvalidInput, Unauthorized
from domain.log_context import user_id_var
from domain.models import User
from wiring.keys import USERS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A route handler takes the request and, by parameter name, its parsed `body` and `query`
# models: the annotation is the one place each request model is named.
RouteHandler = Callable[..., Awaitable[web.StreamResponse]]
Model = TypeVar("Model", bound=BaseModel)
USER_KEY = web.RequestKey("user", User)
_PATH_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: bool
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = field(default_factory=tuple)  # domain errors it can answer
    media_type: str = "application/json"
    verified_email: bool = False  # 403 email_unverified when [accounts] require_verified_email
    # An OpenAPI requestBody object, for a route that reads no JSON `body` model (an upload).
    request_body: dict[str, Any] | None = None


# Every route installed on the app, for the OpenAPI document (the app starts it empty).
ENDPOINTS: web.AppKey[list[Endpoint]] = web.AppKey("endpoints")


class Routes:
    def __init__(
        self, tag: str, errors: tuple[int, ...] = (), *, verified_email: bool = False
    ) -> None:
        """`errors`: the domain-error statuses this table's routes answer unless one says.
        `verified_email`: its authenticated routes answer 403 `email_unverified` to unverified
        users when [accounts] require_verified_email is on."""
        self.tag = tag
        self.errors = errors
        self.verified_email = verified_email
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        auth: bool = True,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] | None = None,
        media_type: str = "application/json",
        request_body: dict[str, Any] | None = None,
    ) -> Callable[[RouteHandler], RouteHandler]:
        def register(handler: RouteHandler) -> RouteHandler:
            body, query = _request_models(handler)
            parsed = _with_inputs(handler, path, body, query)
            wrapped = _require_auth(parsed, self.verified_email) if auth else parsed
            self.endpoints.append(
                Endpoint(
                    method,
                    path,
                    wrapped,
                    summary,
                    self.tag,
                    auth,
                    body,
                    query,
                    response,
                    status,
                    self.errors if errors is None else errors,
                    media_type,
                    self.verified_email and auth,
                    request_body,
                )
            )
            return handler

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("DELETE", path, **kwargs)

    def install(self, app: web.Application) -> None:
        """Add every endpoint with and without a trailing slash (no redirects)."""
        for endpoint in self.endpoints:
            bare = endpoint.path.rstrip("/") or "/"
            for path in {bare, bare + "/"} if bare != "/" else {"/"}:
                app.router.add_route(endpoint.method, path, endpoint.handler)
            app[ENDPOINTS].append(endpoint)


def _request_models(
    handler: RouteHandler,
) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
    """The `body` and `query` models a handler's parameters are annotated with."""
    hints = get_type_hints(handler)
    found = []
    for name in ("body", "query"):
        model = hints.get(name)
        if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{handler.__name__}: `{name}` must be annotated with a pydantic model")
        found.append(model)
    return found[0], found[1]


def _with_inputs(
    handler: RouteHandler,
    path: str,
    body: type[BaseModel] | None,
    query: type[BaseModel] | None,
) -> Handler:
    """Check the path ids, then parse the query, then the body, and call the handler with them."""
    # `…_id` parts are integer ids, checked here; any other part (an upload's key, an invite
    # code) is text for the handler to check.
    id_names = [name for name in _PATH_PARAM.findall(path) if name.endswith("_id")]

    async def with_inputs(request: web.Request) -> web.StreamResponse:
        for name in id_names:
            path_id(request, name)
        inputs: dict[str, BaseModel] = {}
        if query is not None:
            inputs["query"] = parse_query(request, query)
        if body is not None:
            inputs["body"] = await parse_body(request, body)
        return await handler(request, **inputs)

    with_inputs.__name__ = handler.__name__
    return with_inputs


def _require_auth(handler: Handler, verified_email: bool = False) -> Handler:
    async def authenticated(request: web.Request) -> web.StreamResponse:
        users = request.app[USERS]
        user = await users.authenticate(bearer_token(request))
        if verified_email:
            users.check_verified(user)
        request[USER_KEY] = user
        user_id_var.set(str(user.id))
        return await handler(request)

    authenticated.__name__ = handler.__name__
    return authenticated


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("Authentication token is missing")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use an 'Authorization: Bearer <token>' header")
    return token.strip()


def current_user(request: web.Request) -> User:
    return request[USER_KEY]


async def parse_body(request: web.Request, model: type[Model]) -> Model:
    """Parse a JSON object body into `model`. An empty body counts as {}."""
    if (request.content_length or 0) > request.client_max_size:  # refuse before reading it
        raise web.HTTPRequestEntityTooLarge(request.client_max_size, request.content_length or 0)
    raw = await request.read()
    if raw.strip() and request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="Send the body as application/json")
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as error:
        raise _BadJson("The body is not valid JSON") from error
    if not isinstance(data, dict):
        raise _BadJson("The body must be a JSON object")
    # JSON mode: strict models still accept JSON's own spellings (e.g. ISO-8601 datetimes).
    return model.model_validate_json(raw if raw.strip() else b"{}")


class _BadJson(web.HTTPBadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(reason=reason)


def parse_query(request: web.Request, model: type[Model]) -> Model:
    return model.model_validate(dict(request.query))


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise InvalidInput(f"{name} must be a positive integer", {name: "not an integer id"})
    return int(raw)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
        charset="utf-8",
    )


def ok(http_status: int = 200, /, **fields: Any) -> web.Response:
    return json_response({"success": True, **fields}, http_status)


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


__all__ = [
    "Endpoint",
    "Routes",
    "ValidationError",
    "current_user",
    "dump",
    "error_response",
    "json_response",
    "ok",
    "parse_body",
    "parse_query",
    "path_id",
    "validation_details",
]
