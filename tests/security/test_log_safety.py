"""Logs an attacker cannot flood or forge, against a real server process: malformed Socket.IO
packets cost one short line and close the socket at the fifth; an engine.io socket that never
joins /chat is closed after the (default) 10 s; request paths, header values and request ids
cannot write a line of their own; the access line names the client address."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import profile
from tests.processes import start_server, stop_server
from tests.security.test_slow_connections import open_raw, read_until_closed

MALFORMED = ["4[", "42[", "421", "42[1]", "42{}", "49", "43[", "4"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("logs")
    process, base = start_server(directory, config_extra='[http]\ntrusted_proxies = ["127.0.0.1"]')
    try:
        yield base, directory / "server.log"
    finally:
        stop_server(process)


def socket_url(base: str) -> str:
    return f"{base}/socket.io/?EIO=4&transport=websocket"


async def closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            message = await ws.receive(timeout=deadline - time.monotonic())
        except TimeoutError:
            return False
        if message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}:
            return True
        if message.type is aiohttp.WSMsgType.TEXT and message.data == "2":
            await ws.send_str("3")  # answer engine.io's ping, as a client does
    return False


async def test_malformed_packets_cost_one_short_line_and_close_at_the_fifth(server) -> None:
    base, log = server
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(socket_url(base)) as ws:
            assert (await ws.receive_str(timeout=5)).startswith("0")
            for data in MALFORMED[:4]:
                await ws.send_str(data)
            await ws.send_str("40/chat,")  # still open after four: refused (no token) but read
            assert (await ws.receive_str(timeout=5)).startswith("44/chat,")
            await ws.send_str(MALFORMED[4])
            assert await closed_within(ws, 3), "not closed after the fifth malformed packet"

        size_before = log.stat().st_size
        async with http.ws_connect(socket_url(base)) as ws:
            assert (await ws.receive_str(timeout=5)).startswith("0")
            sent = 0
            with contextlib.suppress(ConnectionError):
                for _ in range(200):
                    await ws.send_str("4[")
                    sent += 1
            assert await closed_within(ws, 3)
        await asyncio.sleep(0.5)
        grown = log.stat().st_size - size_before
        print(f"log grew {grown} bytes for 200 x '4[' ({sent} sent before the close)")
        assert grown < 600, log.read_text()[-2000:]  # at most the access line and one warning
        for data in MALFORMED:  # each kind of malformed packet counts, none is a traceback
            async with http.ws_connect(socket_url(base)) as ws:
                assert (await ws.receive_str(timeout=5)).startswith("0")
                for _ in range(5):
                    await ws.send_str(data)
                assert await closed_within(ws, 3), data
    await asyncio.sleep(0.5)
    assert "Traceback" not in log.read_text()


async def test_sockets_that_never_join_chat_are_closed_after_ten_seconds(server) -> None:
    """The real default (10 s): 50 bare engine.io sockets are closed, a /chat socket stays."""
    base, _ = server
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{base}/api/auth/register", json=profile())
        token = (await response.json())["token"]
        member = await http.ws_connect(socket_url(base))
        await member.receive_str(timeout=5)
        await member.send_str("40/chat," + json.dumps({"token": token}))
        assert (await member.receive_str(timeout=5)).startswith("40/chat,")
        idle = [await http.ws_connect(socket_url(base)) for _ in range(50)]
        started = time.monotonic()
        try:
            early = await asyncio.gather(*(closed_within(ws, 8.5) for ws in idle))
            assert not any(early), "closed before the timeout"
            late = await asyncio.gather(*(closed_within(ws, 4.0) for ws in idle))
            held = sum(not closed for closed in late)
            print(
                f"idle engine.io sockets still open after {time.monotonic() - started:.1f}s: "
                f"{held}/50"
            )
            assert held == 0
            assert not member.closed and not await closed_within(member, 0.5)
        finally:
            for ws in [*idle, member]:
                await ws.close()


async def test_paths_and_headers_cannot_forge_log_lines(server) -> None:
    base, log = server
    forged_paths = [
        "/api/health%0aFORGED1%20INFO%20studysync.access%20200",
        "/api/health%0d%0aFORGED2%20line",
        "/x%E2%80%A8FORGED3",
        "/x%1b[31mFORGED4%5c",
    ]
    reader, writer = await open_raw(base)
    for path in forged_paths:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert await read_until_closed(reader, 5) is not None
    writer.close()
    await asyncio.sleep(0.3)
    text = log.read_text()
    lines = text.splitlines()  # splits on U+2028 too
    assert not [line for line in lines if line.startswith("FORGED") or "\x1b" in line]
    assert "/api/health\\nFORGED1" in text and "\\r\\nFORGED2" in text
    assert "/x\\u2028FORGED3" in text and "\\x1b[31mFORGED4\\\\" in text


async def test_request_ids_are_checked_and_the_client_address_is_logged(server) -> None:
    base, log = server
    bad_ids = ["has space", "a" * 65, "x]\tuser=1 FORGED", "tab\there", 'quote"d']
    async with aiohttp.ClientSession() as http:
        for bad in bad_ids:
            async with http.get(f"{base}/api/health", headers={"X-Request-ID": bad}) as response:
                echoed = response.headers["X-Request-ID"]
                assert echoed != bad and len(echoed) == 32 and echoed.isalnum()
        good = "trace-Abc_1.2"
        headers = {"X-Request-ID": good, "X-Forwarded-For": "198.51.100.7"}
        async with http.get(f"{base}/api/health", headers=headers) as response:
            assert response.headers["X-Request-ID"] == good
    await asyncio.sleep(0.3)
    text = log.read_text()
    assert not any(bad in text for bad in bad_ids)
    line = next(line for line in text.splitlines() if f"req={good}" in line)
    assert "198.51.100.7 GET /api/health 200" in line  # from the trusted proxy 127.0.0.1
