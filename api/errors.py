"""One error vocabulary: domain errors and HTTP failures become the same JSON envelope."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from domain.errors import (
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    ModelLoading,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    UnsupportedMedia,
)

log = logging.getLogger("studysync.api")


class BodyReadTimeout(TimeoutError):
    """The request body paused longer than `[http] read_timeout`, or took longer than
    `[http] body_timeout` in all (api/http_protocol.py)."""


STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 422,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    RateLimited: 429,
    Unavailable: 503,
    Busy: 503,
    ModelLoading: 503,
    PayloadTooLarge: 413,
    UnsupportedMedia: 415,
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"success": False, "error": error, "message": message}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(error_body(code, message, details)),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def validation_details(error: ValidationError) -> dict[str, str]:
    """Field path → message, naming every offending field."""
    details: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"]) or "body"
        details.setdefault(path, item["msg"])
    return details


def domain_error_response(error: DomainError) -> web.Response:
    status = next(
        (STATUS_BY_ERROR[kind] for kind in type(error).__mro__ if kind in STATUS_BY_ERROR), 400
    )
    retry_after = error.retry_after if isinstance(error, RateLimited | Busy) else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(status, error.code, error.message, error.details, headers)


def http_error_response(error: web.HTTPException) -> web.Response:
    status = error.status
    messages = {
        404: "No such route",
        405: "Method not allowed on this route",
        413: "Request body is too large",
    }
    message = messages.get(status) or error.reason
    code = CODE_BY_STATUS.get(status, "http_error")
    headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
    return error_response(status, code, message, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as error:
        return domain_error_response(error)
    except ValidationError as error:
        return error_response(
            422, "invalid_input", "The request has invalid fields", validation_details(error)
        )
    except BodyReadTimeout:
        return error_response(408, "request_timeout", "The request body did not arrive in time")
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return http_error_response(error)
    except Exception as error:
        if isinstance(error, ConnectionResetError) and _client_left(request):
            log.info("the client left during %s %s", request.method, request.path)
            return error_response(400, "bad_request", "The connection was closed")  # unread
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side")


def _client_left(request: web.Request) -> bool:
    """The client's own connection is gone (not, say, the database's): reading its body fails
    with ConnectionResetError, which is no fault of the server's."""
    return request.transport is None or request.transport.is_closing()
