"""Huge or slow uploads are refused early, before the server buffers them; message length limits
hold on both transports."""

from __future__ import annotations

import asyncio

from app import create_app
from tests.api.test_groups import create_group
from tests.conftest import settings_for
from tests.helpers import expect_error, register
from tests.security.sockets import base_url, call, closing, connect

LIMIT = 4096


async def _raw_request(client, head: str, body: bytes = b"", wait: float = 3.0) -> bytes:
    """Send a hand-written request and return what the server answers within `wait` seconds."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(65536), wait)
    finally:
        writer.close()
        await writer.wait_closed()


def _head(client, path: str, token: str, length: int) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {client.host}:{client.port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )


async def test_declared_oversized_body_is_refused_without_reading_it(
    aiohttp_client, sqlite_database_url
) -> None:
    """Content-Length over max_body_bytes → 413 at once, though not one body byte was sent
    (a slow client cannot hold the handler waiting for a body it declared too big)."""
    client = await aiohttp_client(
        create_app(settings_for(sqlite_database_url, max_body_bytes=LIMIT))
    )
    alice = await register(client)
    group = await create_group(client, alice)
    answer = await _raw_request(
        client, _head(client, f"/api/chat/{group['id']}/send", alice["token"], 50 * 1024 * 1024)
    )
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, answer[:300]
    assert b"payload_too_large" in answer


async def test_streamed_oversized_body_is_cut_off_at_the_limit(
    aiohttp_client, sqlite_database_url
) -> None:
    """Chunked upload with no Content-Length: aiohttp stops reading at client_max_size (413)."""
    client = await aiohttp_client(
        create_app(settings_for(sqlite_database_url, max_body_bytes=LIMIT))
    )
    alice = await register(client)

    async def endless():
        for _ in range(10_000):  # 10 MB if the server kept reading
            yield b"x" * 1024

    response = await client.patch(
        "/api/auth/me",
        data=endless(),
        headers={**alice["headers"], "Content-Type": "application/json"},
    )
    await expect_error(response, 413, "payload_too_large")


async def test_message_length_limits(aiohttp_client, sqlite_database_url) -> None:
    client = await aiohttp_client(create_app(settings_for(sqlite_database_url)))
    alice = await register(client)
    group = await create_group(client, alice)
    longest = "é" * 4000
    send = f"/api/chat/{group['id']}/send"
    ok = await client.post(send, json={"content": longest}, headers=alice["headers"])
    assert ok.status == 201
    too_long = await client.post(send, json={"content": longest + "x"}, headers=alice["headers"])
    body = await expect_error(too_long, 422, "invalid_input")
    assert "content" in body["error"]["details"]
    async with closing(await connect(base_url(client), alice["token"])) as (sio,):
        ack = await call(sio, "message:send", {"groupId": group["id"], "content": longest + "x"})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"
        assert "content" in ack["error"]["details"]
        ack = await call(sio, "message:edit", {"messageId": 1, "content": "y" * 20001})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input"
    history = await (
        await client.get(f"/api/chat/{group['id']}/messages", headers=alice["headers"])
    ).json()
    assert [len(m["content"]) for m in history["messages"]] == [4000]
