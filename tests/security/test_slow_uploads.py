"""A slow but steady upload body outlives `[http] read_timeout` (an inactivity deadline for
bodies), a stalled one is still answered 408, and `[http] body_timeout` cuts a body trickled a
byte at a time. A real server process (read_timeout 1.5 s, body_timeout 5 s) and raw sockets."""

from __future__ import annotations

import asyncio
import io
import random
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from tests.helpers import register
from tests.processes import start_server, stop_server
from tests.security.test_slow_connections import (
    close,
    json_body,
    open_raw,
    read_until_closed,
    status_of,
)

READ_TIMEOUT = 1.5
BODY_TIMEOUT = 5.0
BOUNDARY = "sl0wb0undary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("slow-uploads")
    extra = f"[http]\nread_timeout = {READ_TIMEOUT}\nbody_timeout = {BODY_TIMEOUT}"
    process, base = start_server(directory, config_extra=extra)
    try:
        yield base
    finally:
        stop_server(process)
    assert "Traceback" not in (directory / "server.log").read_text()


@pytest.fixture
async def token(server: str) -> AsyncIterator[str]:
    async with aiohttp.ClientSession(base_url=server) as http:
        yield (await register(http))["token"]


def noise_png(side: int = 160) -> bytes:
    """Incompressible pixels: about side * side * 3 bytes (77 KB)."""
    pixels = random.Random(3).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(out, format="PNG")
    return out.getvalue()


def upload_request(token: str, image: bytes) -> tuple[bytes, bytes]:
    """The request head and its multipart body (one part `file`)."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + image
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    head = (
        f"POST /api/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


async def send_slowly(writer: asyncio.StreamWriter, data: bytes, pieces: int, pause: float) -> None:
    step = -(-len(data) // pieces)
    for start in range(0, len(data), step):
        writer.write(data[start : start + step])
        await writer.drain()
        await asyncio.sleep(pause)


async def test_a_slow_steady_upload_outlives_the_read_timeout(server: str, token: str) -> None:
    """~77 KB in 40 pieces 0.1 s apart: 4 s of body, well over read_timeout (1.5 s)."""
    head, body = upload_request(token, noise_png())
    reader, writer = await open_raw(server)
    started = time.monotonic()
    try:
        writer.write(head)
        await send_slowly(writer, body, pieces=40, pause=0.1)
        took = time.monotonic() - started
        response = await read_until_closed(reader, 10)
        assert response is not None, "no answer"
        assert status_of(response) == 201, response[:400]
        assert json_body(response)["upload"]["width"] == 160
        assert READ_TIMEOUT * 2 < took < BODY_TIMEOUT
    finally:
        close(writer)


async def test_a_stalled_upload_is_answered_408(server: str, token: str) -> None:
    head, body = upload_request(token, noise_png())
    reader, writer = await open_raw(server)
    started = time.monotonic()
    try:
        writer.write(head + body[: len(body) // 2])  # and the rest never comes
        response = await read_until_closed(reader, READ_TIMEOUT + 3.0)
        assert response is not None, "still open"
        assert status_of(response) == 408, response[:400]
        assert json_body(response)["error"]["code"] == "request_timeout"
        assert time.monotonic() - started < READ_TIMEOUT + 1.5
    finally:
        close(writer)


async def test_a_body_trickled_byte_by_byte_is_cut_at_the_body_timeout(server: str) -> None:
    """Each pause (0.3 s) is within read_timeout, but the whole body would take a minute."""
    reader, writer = await open_raw(server)
    started = time.monotonic()

    async def trickle() -> None:
        writer.write(_login_head(200))
        for _ in range(200):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.3)

    sender = asyncio.create_task(trickle())
    try:
        response = await read_until_closed(reader, BODY_TIMEOUT + 3.0)
        assert response is not None, "still open"
        assert status_of(response) == 408, response[:400]
        took = time.monotonic() - started
        assert BODY_TIMEOUT - 0.5 < took < BODY_TIMEOUT + 1.5, took
    finally:
        sender.cancel()
        close(writer)


def test_body_timeout_must_not_be_shorter_than_read_timeout(tmp_path: Path) -> None:
    from settings import ConfigError, load_settings

    config = tmp_path / "config.toml"
    config.write_text("[http]\nread_timeout = 30.0\nbody_timeout = 10.0\n")
    with pytest.raises(ConfigError, match="body_timeout"):
        load_settings(config, environ={})


async def test_a_client_that_leaves_mid_body_is_no_server_error(server: str, token: str) -> None:
    """Half an upload, then the connection closed: logged as the client leaving (the module's
    teardown checks the log has no traceback), and the server goes on serving."""
    head, body = upload_request(token, noise_png())
    for request in (head + body[: len(body) // 2], _login_head(200) + b'{"email": "a'):
        reader, writer = await open_raw(server)
        writer.write(request)
        await writer.drain()
        await asyncio.sleep(0.3)
        close(writer)
    await asyncio.sleep(0.5)
    async with aiohttp.ClientSession() as http, http.get(f"{server}/api/health") as response:
        assert response.status == 200


def _login_head(length: int) -> bytes:
    return (
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n\r\n"
    )
