"""A broadcast fast path for python-socketio, as a custom client manager (its documented extension
point; see docs/realtime-fast-path.md).

python-socketio delivers a broadcast by creating one asyncio task per recipient; each task puts
the packet on the recipient's engine.io queue, which wakes that socket's writer task (an
`asyncio.wait_for` per wake-up), which encodes the frame again and writes it. `FastEmit`
encodes the Socket.IO packet once, builds the websocket frame once (server frames are unmasked,
so the same bytes serve every recipient) and hands it to each idle websocket recipient's
transport directly, coalescing the frames a socket receives within one event-loop turn into one
write. Everything else takes python-socketio's own path, unchanged:

- emits with a callback, binary payloads, and rooms in namespaces the manager does not know;
- recipients without a registered websocket (long-polling, or a server not using
  `DirectWebSocket`), sockets closing or past their ping timeout;
- a socket whose engine.io queue holds packets or whose writer task is not parked waiting for
  the next one: its packets stay in order behind what it already has;
- a socket whose transport holds more than `queue_above` unsent bytes (the queue then absorbs
  the burst, and the writer's flow control applies).

Backpressure: a websocket recipient with more than `cut_off_above` unsent bytes in its transport
or more than `max_queued` packets waiting in its queue has stopped reading; its connection is
aborted (it reconnects and resyncs like after any drop) so a stalled client cannot grow the
server's memory.

Internals this relies on (python-engineio 4.x, aiohttp 3.x; pinned in pyproject.toml, each one
covered by tests/realtime/test_fast_path.py): the engine.io server's `_async["websocket"]` driver
slot, `AsyncServer.sockets`, an engine.io socket's `queue`, `closing`/`closed`/`upgraded`/
`upgrading`/`last_ping`, and asyncio.Queue's `_getters` (a parked writer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from socketio import packet

from domain.reconnect import Reconnect
from realtime.frames import engineio_message_frame

log = logging.getLogger("studysync.realtime")

QUEUE_ABOVE_BYTES = 256 * 1024
CUT_OFF_ABOVE_BYTES = 1024 * 1024
MAX_QUEUED_PACKETS = 1000


@dataclass(frozen=True, slots=True)
class _Direct:
    """A websocket the fast path may write to: its request (whose transport is the TCP
    connection) and the response (whether it negotiated compression, whether it closed)."""

    request: web.Request
    response: web.WebSocketResponse


class DirectWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp websocket driver, registering each open websocket under its engine.io
    sid for the fast path. permessage-deflate is declined unless `compress` (as Node's
    engine.io does by default): compressed frames depend on each connection's history, so they
    cannot be shared."""

    def __init__(
        self, handler: Any, server: Any, registry: dict[str, _Direct], compress: bool
    ) -> None:
        super().__init__(handler, server)
        self._registry = registry
        self._compress = compress

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=self._compress
        )
        await self._sock.prepare(request)
        self.environ = environ
        sid = getattr(getattr(self.handler, "__self__", None), "sid", None)
        if sid is not None:
            self._registry[sid] = _Direct(request, self._sock)
        try:
            await self.handler(self)
        finally:
            if sid is not None:
                self._registry.pop(sid, None)
        return self._sock


class FastEmit(socketio.AsyncManager):  # type: ignore[misc]
    """The fast local delivery. Placed after a pub/sub manager in the bases, it replaces
    `AsyncManager.emit`, which the pub/sub manager calls for this worker's share."""

    queue_above = QUEUE_ABOVE_BYTES
    cut_off_above = CUT_OFF_ABOVE_BYTES
    max_queued = MAX_QUEUED_PACKETS
    websocket_compression = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.websockets: dict[str, _Direct] = {}
        self._corked: dict[asyncio.Transport, bytes | bytearray] = {}
        self.fast_deliveries = 0
        self.queued_deliveries = 0
        self.cut_offs = 0

    def bounded(
        self,
        queue_above: int = QUEUE_ABOVE_BYTES,
        cut_off_above: int = CUT_OFF_ABOVE_BYTES,
        max_queued: int = MAX_QUEUED_PACKETS,
        websocket_compression: bool = False,
    ) -> FastEmit:
        """Set the backpressure bounds (bytes unsent, packets queued); returns the manager."""
        self.queue_above, self.cut_off_above = queue_above, cut_off_above
        self.max_queued, self.websocket_compression = max_queued, websocket_compression
        return self

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        eio = server.eio
        if eio._async.get("websocket") is eio_aiohttp.WebSocket:
            # a copy: `_async` is the driver module's own dict, shared by every server
            eio._async = {**eio._async, "websocket": self._websocket_driver}

    def _websocket_driver(self, handler: Any, server: Any) -> DirectWebSocket:
        return DirectWebSocket(handler, server, self.websockets, self.websocket_compression)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            return await super().emit(event, data, namespace, room, skip_sid, callback, **kwargs)
        if isinstance(room, str) and not self.rooms[namespace].get(room):
            return  # no local recipient (e.g. a room living on other workers): encode nothing
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if not isinstance(encoded, str):  # binary: a packet plus attachments
            return await super().emit(event, data, namespace, room, skip_sid, callback, **kwargs)
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        frame = engineio_message_frame(encoded)
        queued = [
            eio_sid
            for sid, eio_sid in self.get_participants(namespace, room)
            if sid not in skip and not self._write_direct(eio_sid, frame)
        ]
        if queued:
            self.queued_deliveries += len(queued)
            eio_pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
            for eio_sid in queued:  # engine.io's queues are unbounded: no await blocks here
                await self.server._send_eio_packet(eio_sid, eio_pkt)

    def _write_direct(self, eio_sid: str, frame: bytes) -> bool:
        """Write `frame` for this recipient if the fast path may; False: use the queue.
        True also when the recipient was cut off (nothing more is sent to it)."""
        direct = self.websockets.get(eio_sid)
        sock = self.server.eio.sockets.get(eio_sid)
        if direct is None or sock is None or not _idle_websocket(sock, direct):
            if direct is not None and sock is not None and sock.queue.qsize() > self.max_queued:
                return self._cut_off(eio_sid, direct, "queued packets")
            return False
        transport = direct.request.transport
        if transport is None or transport.is_closing():
            return False
        pending = self._corked.get(transport)
        buffered = transport.get_write_buffer_size() + (len(pending) if pending else 0)
        if buffered > self.cut_off_above:
            return self._cut_off(eio_sid, direct, "unsent bytes")
        if buffered > self.queue_above:
            return False
        if pending is None:
            if not self._corked:
                asyncio.get_running_loop().call_soon(self._flush)
            self._corked[transport] = frame
        elif isinstance(pending, bytearray):
            pending += frame
        else:
            self._corked[transport] = bytearray(pending) + frame
        self.fast_deliveries += 1
        return True

    def _flush(self) -> None:
        """One write per transport for the frames of this event-loop turn, in emit order."""
        corked, self._corked = self._corked, {}
        for transport, data in corked.items():
            if not transport.is_closing():
                transport.write(data)

    def _cut_off(self, eio_sid: str, direct: _Direct, why: str) -> bool:
        transport = direct.request.transport
        if transport is not None and not transport.is_closing():
            self.cut_offs += 1
            log.warning("realtime: slow consumer %s cut off (%s)", eio_sid, why)
            transport.abort()  # the websocket handler then closes the engine.io socket
        return True


def _idle_websocket(sock: Any, direct: _Direct) -> bool:
    """The socket is open on this websocket, not compressing, and its writer task is parked on
    an empty queue: it holds no packet a direct write could overtake."""
    if sock.closing or sock.closed or not sock.upgraded or sock.upgrading:
        return False
    if direct.response.closed or direct.response.compress:
        return False
    if sock.last_ping and time.time() - sock.last_ping > sock.server.ping_timeout:
        return False  # engine.io's send closes it: let it
    queue = sock.queue
    return not queue.qsize() and bool(getattr(queue, "_getters", None))


class FastManager(FastEmit):
    """In-memory client manager (one worker) with the fast path."""


class FastRedisManager(socketio.AsyncRedisManager, FastEmit):  # type: ignore[misc]
    """`socketio.AsyncRedisManager` with the fast path for this worker's recipients."""

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        """python-socketio's listen loop (the same steps), with this project's reconnect
        policy: backoff capped at 30 s (its own: 60 s) and one log line per outage and per
        recovery (its own: one per attempt)."""
        reconnect = Reconnect(log, f"Redis (Socket.IO channel {self.channel})")
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                reconnect.succeeded()
                async for message in self.pubsub.listen():
                    yield message
            except Exception as error:  # what python-socketio catches: any driver error
                await reconnect.failed(error)
