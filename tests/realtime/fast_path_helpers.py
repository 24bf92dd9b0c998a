"""Helpers for tests/realtime/test_fast_path.py: a minimal Socket.IO hub on aiohttp with a chosen
client manager, and a raw websocket client that records the exact frame bytes it receives."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
from typing import Any

import socketio
from aiohttp import web

NS = "/chat"
ROOM = "room"


class Hub:
    """python-socketio on aiohttp: every /chat socket joins ROOM; disconnects are recorded."""

    def __init__(self, manager: Any) -> None:
        self.manager = manager
        self.sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
        self.sids: list[str] = []
        self.gone: list[str] = []
        self.sio.on("connect", self._connect, namespace=NS)
        self.sio.on("disconnect", self._disconnect, namespace=NS)
        self.app = web.Application()
        self.sio.attach(self.app)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.sio.enter_room(sid, ROOM, namespace=NS)
        self.sids.append(sid)

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        self.gone.append(sid)

    async def broadcast(self, *args: Any, room: str = ROOM) -> None:
        data = args[0] if len(args) == 1 else tuple(args)
        await self.sio.emit("news", data, room=room, namespace=NS)

    async def stop(self) -> None:
        thread = getattr(self.manager, "thread", None)
        if thread is not None:
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await thread
        for connection in (
            getattr(self.manager, "pubsub", None),
            getattr(self.manager, "redis", None),
        ):
            if connection is not None:
                await connection.aclose()


class RawClient:
    """A websocket client on a plain TCP stream: masks what it sends (as RFC 6455 requires of
    clients) and keeps every received frame's bytes, header included."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, receive_buffer: int | None = None) -> RawClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        client = cls(reader, writer)
        opened = await client.text()
        assert opened.startswith("0{"), opened
        client.send(f"40{NS},")
        connected = await client.text()
        assert connected.startswith(f"40{NS},"), connected
        return client

    def send(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)

    async def frame(self) -> bytes:
        """The next frame's exact bytes; engine.io pings ("2") are answered and skipped."""
        while True:
            head = await self.reader.readexactly(2)
            size = head[1] & 0x7F
            extra = b""
            if size == 126:
                extra = await self.reader.readexactly(2)
                size = struct.unpack("!H", extra)[0]
            elif size == 127:
                extra = await self.reader.readexactly(8)
                size = struct.unpack("!Q", extra)[0]
            payload = await self.reader.readexactly(size)
            if payload == b"2":
                self.send("3")
                continue
            return head + extra + payload

    async def text(self) -> str:
        frame = await self.frame()
        offset = {126: 4, 127: 10}.get(frame[1] & 0x7F, 2)
        return frame[offset:].decode()

    def close(self) -> None:
        self.writer.transport.abort()
