"""Request ids, structured access logs and Prometheus metrics."""

from __future__ import annotations

import hmac
import json
import logging
import re
import textwrap
import time
import uuid
from typing import Any

from aiohttp import web
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from api.addresses import client_address
from domain.errors import Unauthorized
from domain.log_context import request_id_var, user_id_var
from wiring.keys import METRICS, SETTINGS
from wiring.metrics import Metrics

access_log = logging.getLogger("studysync.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def escape_for_log(text: str) -> str:
    """One log record stays one line: control and other non-printable characters (newlines,
    U+2028, zero-width ...) and the backslash itself become backslash escapes."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        "\\\\" if char == "\\" else char if char.isprintable() else _escape(char) for char in text
    )


def _escape(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def accepted_request_id(incoming: str) -> str:
    """The client's X-Request-ID when it is a plain token, else a fresh one."""
    return incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        return True


class EscapingFormatter(logging.Formatter):
    """Text logs: the message (with every request-derived value in it) is escaped to one line;
    traceback lines are indented, so no line of a record can pass for a record of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_for_log(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return textwrap.indent(super().formatException(ei), "    ")

    def formatStack(self, stack_info: str) -> str:
        return textwrap.indent(super().formatStack(stack_info), "    ")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": escape_for_log(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str, as_json: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else EscapingFormatter(
            "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s user=%(user_id)s] %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _is_websocket(request: web.Request, response: web.StreamResponse) -> bool:
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    return upgrade or isinstance(response, web.WebSocketResponse)


def observability_middleware(metrics: Metrics) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        request_id = accepted_request_id(request.headers.get("X-Request-ID", ""))
        request_id_var.set(request_id)
        user_id_var.set("-")
        started = time.perf_counter()
        response = await handler(request)
        elapsed = time.perf_counter() - started
        route = _route_name(request)
        metrics.http_requests.labels(request.method, route, str(response.status)).inc()
        if not _is_websocket(request, response):  # a session's length is not a latency
            metrics.http_latency.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-ID"] = request_id
        access_log.info(
            "%s %s %s %s %.1fms",
            client_address(request),
            request.method,
            request.path,
            response.status,
            elapsed * 1000,
        )
        return response

    return middleware


async def metrics_handler(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].http.metrics_token
    if token and not _bearer_matches(request, token):
        raise Unauthorized("/metrics needs Authorization: Bearer <metrics_token>")
    body = generate_latest(request.app[METRICS])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _bearer_matches(request: web.Request, token: str) -> bool:
    """Constant-time, so the answer time does not reveal how much of a guess was right."""
    given = request.headers.get("Authorization", "").encode()
    return hmac.compare_digest(given, f"Bearer {token}".encode())
