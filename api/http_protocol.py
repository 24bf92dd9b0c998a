"""aiohttp's connection protocol with read deadlines and JSON protocol errors, and the runner
that serves the app with it.

aiohttp has no timeout for reading a request's headers or body: a client that trickles bytes
holds the connection (and its memory) for as long as it likes. `ReadTimeoutHandler` closes it:

- headers: from the connection's first byte (or the first byte of the next keep-alive request)
  the request line and headers must be complete within `[http] read_timeout`, else the server
  answers 408 and closes;
- body: once the headers are in, the body may pause at most `read_timeout` between its bytes
  (an inactivity deadline: a 10 MiB upload on a slow link keeps going while bytes arrive) and
  must be complete within `[http] body_timeout` in all (so a body trickled a byte at a time is
  still cut); else reading it raises `BodyReadTimeout` (answered 408 by api/errors.py) and the
  connection is closed;
- an upgraded connection (websocket) has no deadline: engine.io's ping/pong watches it.

Protocol errors aiohttp answers itself (header too large, bad request line) get the JSON error
envelope and one short log line instead of text/plain and a traceback.

aiohttp creates its `RequestHandler` in `web.Server.__call__` with no hook to choose the class,
so `GuardedServer` overrides that call and `GuardedAppRunner` builds one from aiohttp's own
server; `run_app` is `web.run_app` reduced to what server.py uses, with that runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from api.errors import BodyReadTimeout, error_body

log = logging.getLogger("studysync.http")
KEEPALIVE_SECONDS = 75.0  # web.run_app's default for idle keep-alive connections
SHUTDOWN_SECONDS = 60.0


def _raw_json_response(status: int, reason: str, code: str, message: str) -> bytes:
    body = orjson.dumps(error_body(code, message))
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


REQUEST_TIMEOUT = _raw_json_response(
    408, "Request Timeout", "request_timeout", "The request did not arrive in time"
)


SERVER_ERRORS = {
    500: ("internal_error", "Something went wrong on our side"),
    504: ("timeout", "The request timed out"),
}


def _protocol_error(exc: BaseException | None) -> tuple[int, str, str]:
    text = str(exc).lower()
    if isinstance(exc, LineTooLong) or "too many headers" in text or "too long" in text:
        return 431, "header_too_large", "The request line or headers are too large"
    return 400, "bad_request", "The request is not valid HTTP"


def _host(peer: Any) -> str:
    return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class ReadTimeoutHandler(RequestHandler):
    __slots__ = (
        "_read_timeout",
        "_body_timeout",
        "_deadline",
        "_body",
        "_body_began",
        "_body_seen",
    )

    def __init__(
        self, manager: web.Server, *, read_timeout: float, body_timeout: float, **kwargs: Any
    ) -> None:
        super().__init__(manager, **kwargs)
        self._read_timeout = read_timeout
        self._body_timeout = body_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None  # the current request's body, still arriving
        self._body_began = self._body_seen = 0.0  # loop times: headers complete, last body bytes

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()  # a connection that never sends a complete request is closed too

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        requests_before = self._request_count
        super().data_received(data)
        if self._upgraded or self._force_close:
            self._disarm()
        elif self._request_count != requests_before and self._messages:
            self._disarm()  # headers complete: the body's own deadline starts now
            payload = self._messages[-1][1]
            if not payload.is_eof():
                self._body = payload
                self._body_began = self._body_seen = self._loop.time()
                self._arm()
        elif self._body is not None:
            if self._body.is_eof():
                self._disarm()
            else:
                self._body_seen = self._loop.time()  # _timed_out moves the deadline on
        elif self._deadline is None and not self._request_in_progress:
            self._arm()  # the first bytes of the next request on a keep-alive connection

    def _arm(self) -> None:
        if self._read_timeout > 0 and self._deadline is None:
            self._deadline = self._loop.call_later(self._read_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._body = None

    def _body_deadline(self) -> float:
        """`read_timeout` after the body's last bytes, never later than `body_timeout` after
        its headers. Checked when the timer fires (not re-armed for every chunk)."""
        quiet = self._body_seen + self._read_timeout
        return min(quiet, self._body_began + self._body_timeout)

    def _timed_out(self) -> None:
        self._deadline = None
        if self._body is not None and not self._body.is_eof():
            if self._reading_paused:  # the handler is behind (flow control), not the client
                self._body_seen = self._loop.time()
            deadline = self._body_deadline()
            if deadline > self._loop.time():  # bytes came meanwhile: wait on
                self._deadline = self._loop.call_at(deadline, self._timed_out)
                return
        body, self._body = self._body, None
        if body is not None and not body.is_eof():
            body.set_exception(BodyReadTimeout())  # the handler's read raises → 408
            if self._request_in_progress:
                self.close()  # after that answer
                return
        elif self.transport is not None and not self._request_in_progress:
            self.transport.write(REQUEST_TIMEOUT)
        peer = self.transport.get_extra_info("peername") if self.transport else None
        log.info("closed a connection from %s: its request did not arrive in time", _host(peer))
        self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's error answer, as the JSON envelope (the same status rules otherwise)."""
        if status >= 500:
            self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
            code, text = SERVER_ERRORS.get(status, SERVER_ERRORS[500])
        else:
            status, code, text = _protocol_error(exc)
            log.info("refused a malformed request from %s: %s", request.remote, str(exc)[:200])
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent; cannot send the error")
        response = web.Response(
            status=status,
            body=orjson.dumps(error_body(code, text)),
            content_type="application/json",
            charset="utf-8",
        )
        response.force_close()
        return response


class GuardedServer(web.Server):
    """aiohttp's protocol factory, making `ReadTimeoutHandler`s."""

    def __init__(self, *args: Any, read_timeout: float, body_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout
        self.body_timeout = body_timeout

    def __call__(self) -> RequestHandler:
        return ReadTimeoutHandler(
            self,
            loop=self._loop,
            read_timeout=self.read_timeout,
            body_timeout=self.body_timeout,
            **self._kwargs,
        )


class GuardedAppRunner(web.AppRunner):
    def __init__(
        self, app: web.Application, *, read_timeout: float, body_timeout: float, **kwargs: Any
    ) -> None:
        super().__init__(app, **kwargs)
        self.read_timeout = read_timeout
        self.body_timeout = body_timeout

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()  # starts the app, collects aiohttp's options
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            read_timeout=self.read_timeout,
            body_timeout=self.body_timeout,
            **plain._kwargs,
        )


async def _serve(runner: web.AppRunner, host: str, port: int, reuse_port: bool | None) -> None:
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
        await asyncio.Event().wait()  # until SIGTERM/SIGINT raise GracefulExit
    finally:
        await runner.cleanup()


def run_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    read_timeout: float,
    body_timeout: float,
    reuse_port: bool | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Serve `app` until SIGTERM/SIGINT, then shut down gracefully (as `web.run_app` does)."""
    loop = loop or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runner = GuardedAppRunner(
        app,
        read_timeout=read_timeout,
        body_timeout=body_timeout,
        handle_signals=True,
        access_log=None,
        keepalive_timeout=KEEPALIVE_SECONDS,
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    main = loop.create_task(_serve(runner, host, port, reuse_port))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        main.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)
        _cancel_remaining(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
