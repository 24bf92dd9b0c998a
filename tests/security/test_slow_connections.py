"""Slow and malformed HTTP against a real server process (`[http] read_timeout` lowered to
1.5 s): headers or a body that do not arrive in time close the connection (408 JSON), while
normal requests, idle keep-alive and websockets are unaffected; protocol errors aiohttp answers
itself (header too large, bad request line) get the JSON error envelope, without tracebacks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.processes import start_server, stop_server
from tests.services import REDIS_URL, redis_prefix, require_service

READ_TIMEOUT = 1.5
SLOW_CONNECTIONS = 100
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("slow")
    process, base = start_server(directory, config_extra=f"[http]\nread_timeout = {READ_TIMEOUT}")
    try:
        yield base, directory / "server.log"
    finally:
        stop_server(process)


async def open_raw(base: str) -> Stream:
    host, port = base.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def read_until_closed(reader: asyncio.StreamReader, within: float) -> bytes | None:
    """Everything the server sent before closing, or None if it is still open after `within`."""
    received = b""
    deadline = time.monotonic() + within
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), deadline - time.monotonic()):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return received


def close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


def json_body(response: bytes) -> dict[str, object]:
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), response[:300]
    return json.loads(body)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


async def count_still_open(streams: list[Stream], within: float) -> int:
    results = await asyncio.gather(*(read_until_closed(r, within) for r, _ in streams))
    return sum(result is None for result in results)


async def test_slow_headers_are_closed_after_the_read_timeout(server) -> None:
    base, _ = server
    streams = [await open_raw(base) for _ in range(SLOW_CONNECTIONS)]
    try:
        for _, writer in streams:
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        held = await count_still_open(streams, READ_TIMEOUT + 2.0)
        print(f"slow-header connections still open after {READ_TIMEOUT + 2.0}s: {held}/100")
        assert held == 0
    finally:
        for _, writer in streams:
            close(writer)


async def test_headers_trickled_byte_by_byte_are_cut_at_the_deadline(server) -> None:
    """The deadline is for the whole header block, not for each byte."""
    base, _ = server
    reader, writer = await open_raw(base)
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    started = time.monotonic()

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in request:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)  # ~11 s for the whole request

    sender = asyncio.create_task(trickle())
    try:
        response = await read_until_closed(reader, READ_TIMEOUT + 3.0)
        assert response is not None, "still open"
        assert time.monotonic() - started < READ_TIMEOUT + 1.5
        assert status_of(response) == 408
        assert json_body(response)["error"] == {
            "code": "request_timeout",
            "message": "The request did not arrive in time",
        }
    finally:
        sender.cancel()
        close(writer)


async def test_a_stalled_body_is_answered_408_and_closed(server) -> None:
    base, _ = server
    streams = [await open_raw(base) for _ in range(SLOW_CONNECTIONS)]
    head = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200\r\n\r\n"
    )
    try:
        for _, writer in streams:
            writer.write(head + b'{"email": "a')  # and the rest never comes
        responses = await asyncio.gather(
            *(read_until_closed(reader, READ_TIMEOUT + 2.0) for reader, _ in streams)
        )
        held = sum(response is None for response in responses)
        print(f"slow-body connections still open after {READ_TIMEOUT + 2.0}s: {held}/100")
        assert held == 0
        answered = [response for response in responses if response]
        assert answered and all(status_of(response) == 408 for response in answered)
        assert json_body(answered[0])["error"]["code"] == "request_timeout"
    finally:
        for _, writer in streams:
            close(writer)


async def test_normal_requests_keepalive_and_a_body_in_time_are_unaffected(server) -> None:
    base, _ = server
    reader, writer = await open_raw(base)
    try:
        for _ in range(2):  # the second request after an idle pause longer than the timeout
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert status_of(head) == 200
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(READ_TIMEOUT + 1.0)
        body = b'{"email": "nobody@uni.edu", "password": "wrong password here"}'
        writer.write(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        for start in range(0, len(body), 20):  # a body that is slow, but in time
            writer.write(body[start : start + 20])
            await asyncio.sleep(0.2)
        response = await read_until_closed(reader, 5)
        assert response is not None and status_of(response) == 401, response
    finally:
        close(writer)


async def test_a_websocket_outlives_the_read_timeout(server) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as http:
        url = f"{base}/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url) as ws:
            opened = await ws.receive_str(timeout=5)
            assert opened.startswith("0")
            await asyncio.sleep(READ_TIMEOUT * 2)
            await ws.send_str("40/chat,")  # no token: refused, which proves the socket is alive
            reply = await ws.receive_str(timeout=5)
            assert reply.startswith("44/chat,"), reply


async def test_protocol_errors_answer_the_json_envelope(server) -> None:
    base, log = server
    requests = {
        431: b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        400: b"NOT HTTP AT ALL\r\n\r\n",
    }
    for status, request in requests.items():
        reader, writer = await open_raw(base)
        try:
            writer.write(request)
            response = await read_until_closed(reader, 5)
            assert response is not None
            assert status_of(response) == status, response[:200]
            body = json_body(response)
            assert body["success"] is False
            assert set(body["error"]) == {"code", "message"} and body["message"]
        finally:
            close(writer)
    assert "Traceback" not in log.read_text()


async def test_read_timeout_holds_with_two_workers(tmp_path) -> None:
    require_service("Redis", "127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    extra = (
        f'redis_url = "{REDIS_URL}"\nredis_prefix = "{redis_prefix()}"\n'
        f"[http]\nread_timeout = {READ_TIMEOUT}"
    )
    process, base = start_server(tmp_path, config_extra=extra, args=("--workers", "2"))
    try:
        streams = [await open_raw(base) for _ in range(20)]  # the kernel spreads them
        for _, writer in streams:
            writer.write(b"GET /api/health HTTP/1.1\r\n")
        assert await count_still_open(streams, READ_TIMEOUT + 2.0) == 0
        for _, writer in streams:
            close(writer)
    finally:
        stop_server(process)
