"""The Socket.IO server: manager (Redis or in-memory), codec, the guard, presence upkeep. The
composition root (wiring/realtime.py) attaches it to the app and registers the namespace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from engineio import json as engineio_json

from realtime.fast_manager import FastManager
from realtime.guard import GuardedSocketServer
from realtime.namespace import NAMESPACE, ChatNamespace
from realtime.presence import HEARTBEAT_SECONDS, MemoryPresence, RedisPresence
from realtime.room_channels import ShardedRedisManager
from realtime.rooms import is_group_room
from settings import Settings


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


def socket_server(
    settings: Settings, client_address: Callable[[web.Request], str]
) -> GuardedSocketServer:
    """`client_address` names a socket's client in logs (api/addresses.py)."""
    manager = (
        ShardedRedisManager(
            settings.redis_url,
            channel=f"{settings.redis_prefix}:socketio",
            json=OrjsonCodec,
            sharded=is_group_room if settings.chat.room_channels else _no_room,
        )
        if settings.redis_url
        else FastManager()
    )
    return GuardedSocketServer(
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


def _no_room(_room: str) -> bool:
    return False  # [chat] room_channels = false: every emit on the single channel


def _address(environ: dict[str, Any], client_address: Callable[[web.Request], str]) -> str:
    request = environ.get("aiohttp.request")  # engine.io's aiohttp driver puts it there
    return client_address(request) if isinstance(request, web.Request) else "unknown"


async def keep_presence_fresh(
    presence: RedisPresence | MemoryPresence, namespace: ChatNamespace
) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        with contextlib.suppress(Exception):  # Redis down: the next beat tries again
            await presence.heartbeat(dict(namespace.local_sockets))
