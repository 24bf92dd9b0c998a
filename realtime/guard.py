"""Engine.IO sockets that misbehave are closed, with one short log line instead of tracebacks.

python-socketio decodes every Socket.IO packet inside engine.io's message handler; a packet it
cannot decode (`4[`, an event that is not `[name, ...]`) raises there, and engine.io logs the
full traceback for each one, for any socket, connected to a namespace or not. `GuardedSocketServer`
(a small `socketio.AsyncServer` subclass) instead:

- decodes with `GuardedPacket` (passed as python-socketio's documented `serializer`), which
  refuses malformed packets with `MalformedPacket`;
- logs a malformed packet in one short line, at most once per socket and once per
  `LOG_INTERVAL_SECONDS` across sockets, and closes the socket at its `MALFORMED_LIMIT`th;
- closes a socket that has not connected to the namespace within `connect_timeout` seconds of
  opening (or of leaving it), so idle engine.io sockets cannot pile up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import socketio
from socketio import packet

from realtime.polling import use_long_poll_fixes

log = logging.getLogger("studysync.realtime")
MALFORMED_LIMIT = 5
LOG_INTERVAL_SECONDS = 10.0
CLIENT_TYPES = {
    packet.CONNECT,
    packet.DISCONNECT,
    packet.EVENT,
    packet.ACK,
    packet.BINARY_EVENT,
    packet.BINARY_ACK,
}
AddressOf = Callable[[dict[str, Any]], str]


class MalformedPacket(ValueError):
    """A Socket.IO packet a client should never send."""


class GuardedPacket(packet.Packet):
    """Socket.IO's packet with the shape of client packets checked as they are decoded."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments: int = super().decode(encoded_packet)
        except (ValueError, TypeError) as error:  # bad type digit, id or JSON
            raise MalformedPacket(f"undecodable packet ({type(error).__name__})") from None
        if self.packet_type not in CLIENT_TYPES:
            raise MalformedPacket(f"packet type {self.packet_type!r}")
        events = (packet.EVENT, packet.BINARY_EVENT)
        if self.packet_type in events and not _is_event(self.data):
            raise MalformedPacket("an event must be [name, ...args]")
        acks = (packet.ACK, packet.BINARY_ACK)
        if self.packet_type in acks and not isinstance(self.data, list):
            raise MalformedPacket("an ack must carry a list")
        return attachments


def _is_event(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and isinstance(data[0], str)


class _OncePerInterval:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = -interval
        self.suppressed = 0

    def allow(self) -> int | None:
        """None when a line is not allowed now; else how many were suppressed before it."""
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return None
        self.last, suppressed, self.suppressed = now, self.suppressed, 0
        return suppressed


class GuardedSocketServer(socketio.AsyncServer):
    def __init__(
        self,
        *args: Any,
        namespace: str,
        connect_timeout: float,
        address_of: AddressOf,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, serializer=GuardedPacket, **kwargs)
        self.guarded_namespace = namespace
        self.connect_timeout = connect_timeout
        self.address_of = address_of
        self._malformed: dict[str, int] = {}
        self._connect_deadlines: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._log_gate = _OncePerInterval(LOG_INTERVAL_SECONDS)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        use_long_poll_fixes(self.eio.sockets.get(eio_sid))
        result = await super()._handle_eio_connect(eio_sid, environ)
        self._expect_namespace(eio_sid)
        return result

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            if not data or not isinstance(data, str | bytes):  # python-socketio skips decoding
                raise MalformedPacket("empty packet")
            await super()._handle_eio_message(eio_sid, data)
        except ValueError as error:  # MalformedPacket, or python-socketio's own refusals
            await self._on_malformed(eio_sid, error)

    async def _handle_disconnect(self, eio_sid: str, namespace: str, reason: Any = None) -> None:
        await super()._handle_disconnect(eio_sid, namespace, reason)
        if eio_sid in self.environ:  # left the namespace; the engine.io socket is still open
            self._expect_namespace(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self._malformed.pop(eio_sid, None)
        deadline = self._connect_deadlines.pop(eio_sid, None)
        if deadline is not None:
            deadline.cancel()

    # ---- connect deadline -------------------------------------------------------------------

    def _expect_namespace(self, eio_sid: str) -> None:
        if self.connect_timeout <= 0 or eio_sid in self._connect_deadlines:
            return
        loop = asyncio.get_running_loop()
        self._connect_deadlines[eio_sid] = loop.call_later(
            self.connect_timeout, self._connect_deadline_passed, eio_sid
        )

    def _connect_deadline_passed(self, eio_sid: str) -> None:
        self._connect_deadlines.pop(eio_sid, None)
        if self.manager.sid_from_eio_sid(eio_sid, self.guarded_namespace) is None:
            self._close_soon(eio_sid)

    def _close_soon(self, eio_sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._close(eio_sid))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, eio_sid: str) -> None:
        """engine.io's disconnect only sends its CLOSE packet and waits for the client to hang
        up (up to ping interval + timeout, 45 s); ending the socket's send queue as well makes
        engine.io close the websocket itself."""
        socket = self.eio.sockets.get(eio_sid)
        await self.eio.disconnect(eio_sid)
        if socket is not None:
            socket.queue.put_nowait(None)

    # ---- malformed packets ------------------------------------------------------------------

    async def _on_malformed(self, eio_sid: str, error: ValueError) -> None:
        count = self._malformed.get(eio_sid, 0) + 1
        self._malformed[eio_sid] = count
        if count == 1:
            self._log_malformed(eio_sid, error)
        if count == MALFORMED_LIMIT:
            self._close_soon(eio_sid)  # not awaited here: engine.io's reader task runs this

    def _log_malformed(self, eio_sid: str, error: ValueError) -> None:
        suppressed = self._log_gate.allow()
        if suppressed is None:
            return
        address = self.address_of(self.environ.get(eio_sid, {}))
        log.warning(
            "malformed socket.io packet from %s: %s (closed at %d; %d similar lines suppressed)",
            address,
            str(error)[:120],
            MALFORMED_LIMIT,
            suppressed,
        )
