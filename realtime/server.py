"""Builds the Socket.IO server on the aiohttp app: manager (Redis or in-memory), namespace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import socketio
from aiohttp import web
from engineio import json as engineio_json

from realtime.fast_manager import FastManager, FastRedisManager
from realtime.guard import GuardedSocketServer
from realtime.namespace import NAMESPACE, ChatNamespace
from realtime.presence import HEARTBEAT_SECONDS, MemoryPresence, RedisPresence
from realtime.publisher import SocketPublisher
from wiring.keys import CHANGE_FEED, PUBLISHER, REDIS, SETTINGS

SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)


class OrjsonCodec:
    """The `json` module python-socketio accepts (dumps/loads), backed by orjson: packets and
    Redis fan-out messages encode and decode 2-5x faster than with the stdlib (measured in
    docs/benchmarks.md). What orjson refuses (integers beyond 64 bits, NaN, non-string keys)
    falls back to engine.io's stdlib codec, so every payload is read and written as before."""

    @staticmethod
    def dumps(obj: Any, **options: Any) -> str:
        try:
            return orjson.dumps(obj).decode()
        except TypeError:
            return engineio_json.dumps(obj, **options)

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return engineio_json.loads(text, **options)


def attach_socketio(app: web.Application, client_address: Callable[[web.Request], str]) -> None:
    """Create the server now (it adds its routes); connect it to services at start-up.
    `client_address` names a socket's client in logs (api/addresses.py)."""
    settings = app[SETTINGS]
    manager = (
        FastRedisManager(
            settings.redis_url, channel=f"{settings.redis_prefix}:socketio", json=OrjsonCodec
        )
        if settings.redis_url
        else FastManager()
    )
    server = GuardedSocketServer(
        namespace=NAMESPACE,
        connect_timeout=settings.http.socket_connect_timeout,
        address_of=lambda environ: _address(environ, client_address),
        async_mode="aiohttp",
        client_manager=manager,
        json=OrjsonCodec,
        # None: browsers may connect from this server's own origin only (engine.io's check).
        cors_allowed_origins=list(settings.cors_origins) or None,
        logger=False,
        engineio_logger=False,
    )
    server.attach(app)
    app[SOCKETIO] = server
    app.cleanup_ctx.append(_realtime)


def _address(environ: dict[str, Any], client_address: Callable[[web.Request], str]) -> str:
    request = environ.get("aiohttp.request")  # engine.io's aiohttp driver puts it there
    return client_address(request) if isinstance(request, web.Request) else "unknown"


async def _realtime(app: web.Application) -> AsyncIterator[None]:
    server = app[SOCKETIO]
    presence = (
        RedisPresence(app[REDIS], app[SETTINGS].redis_prefix)
        if app[REDIS] is not None
        else MemoryPresence()
    )
    namespace = ChatNamespace(app, presence)
    server.register_namespace(namespace)
    publisher = SocketPublisher(server, namespace, app[CHANGE_FEED])
    app[PUBLISHER].subscribe(publisher)
    if app[CHANGE_FEED] is not None:
        app[CHANGE_FEED].subscribe(publisher.on_feed)
    heartbeat = asyncio.create_task(_keep_presence_fresh(presence, namespace))
    yield
    heartbeat.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await heartbeat


async def _keep_presence_fresh(
    presence: RedisPresence | MemoryPresence, namespace: ChatNamespace
) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        with contextlib.suppress(Exception):  # Redis down: the next beat tries again
            await presence.heartbeat(dict(namespace.local_sockets))
