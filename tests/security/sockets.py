"""Socket.IO clients for security tests: connect, or expect a refusal and return its data."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio


def base_url(client: Any) -> str:
    return str(client.make_url("")).rstrip("/")


async def _open(sio: socketio.AsyncClient, url: str, token: str | None, **options: Any) -> None:
    await asyncio.wait_for(
        sio.connect(
            url,
            namespaces=["/chat"],
            auth={"token": token} if token is not None else None,
            transports=["websocket"],
            wait_timeout=5,
            **options,
        ),
        10,
    )


async def connect(url: str, token: str | None, **options: Any) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await _open(sio, url, token, **options)
    return sio


async def refused(url: str, token: str | None, **options: Any) -> Any:
    """Expect the connection to be refused; returns the connect_error data (None if the
    handshake itself was rejected before the namespace answered)."""
    sio = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    sio.on("connect_error", errors.append, namespace="/chat")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _open(sio, url, token, **options)
    await sio.disconnect()
    return errors[0] if errors else None


@contextlib.asynccontextmanager
async def closing(*clients: socketio.AsyncClient) -> AsyncIterator[list[socketio.AsyncClient]]:
    opened = list(clients)
    try:
        yield opened
    finally:
        for sio in opened:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), 5)


async def call(sio: socketio.AsyncClient, event: str, payload: Any = None) -> Any:
    return await sio.call(event, payload, namespace="/chat", timeout=10)
