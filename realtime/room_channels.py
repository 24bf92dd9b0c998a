"""Per-room Redis channels: a worker hears a room's broadcasts only while it has a member in it.

python-socketio's Redis manager publishes every emit on one channel, so every worker decodes
every message, also those for rooms where it has nobody (with N workers, (N - 1) / N of that
work is wasted for a room living on one worker). `ShardedRedisManager` publishes an emit to a
single *sharded* room (group rooms by default) with `SPUBLISH` on that room's own channel
(`<channel>#<namespace>#<room>`, Redis >= 7; in a Redis Cluster each room's channel lives on
its slot's shard) and subscribes a worker to that channel with `SSUBSCRIBE` when its first
local socket enters the room, `SUNSUBSCRIBE` when the last one leaves (or disconnects).
Everything else — user rooms, namespace-wide emits, `enter_room`/`leave_room`/`disconnect` for
sockets on other workers, callbacks — stays on python-socketio's single channel, unchanged.

A live join still delivers without reconnecting: `enter_room` returns once Redis has confirmed
the subscription, so every message published after it returns reaches this worker.

Room-channel messages carry the publishing worker's id in their first 32 bytes, so a worker
skips its own broadcasts (already delivered locally) without decoding them. `stats` counts the
messages each worker decodes and the time spent on them, split by whether the message had a
local recipient (the scale-out cost: work on rooms where the worker has no member).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from domain.reconnect import Reconnect
from realtime.fast_manager import FastRedisManager, log
from realtime.publish_batch import PublishBatcher
from realtime.rooms import is_group_room

SUBSCRIBE_WAIT = 2.0  # seconds enter_room waits for Redis to confirm a new room channel
HOST_ID_BYTES = 32  # uuid4().hex


@dataclass
class PubSubStats:
    """Per worker: messages decoded from Redis and seconds spent decoding and delivering them,
    keyed by (channel kind "room"/"broadcast", recipients "local"/"none"); own room messages
    skipped undecoded."""

    messages: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    own_skipped: int = 0

    def add(self, kind: str, local: bool, seconds: float) -> None:
        key = (kind, "local" if local else "none")
        self.messages[key] = self.messages.get(key, 0) + 1
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds


class ShardedRedisManager(FastRedisManager):
    """`FastRedisManager` with one Redis channel per sharded room (see the module docstring)."""

    def __init__(
        self,
        url: str,
        channel: str,
        json: Any = None,
        sharded: Callable[[str], bool] = is_group_room,
    ) -> None:
        super().__init__(url, channel=channel, json=json)
        self._sharded = sharded
        self._host = self.host_id.encode()
        self._wanted: set[str] = set()  # room channels with a local member
        self._sent: set[str] = set()  # room channels SSUBSCRIBEd on the current connection
        self._confirmed: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._applying: asyncio.Task[None] | None = None
        self._listening = False
        self.stats = PubSubStats()
        self._publisher = PublishBatcher(self._publish_client, self._publish_failed)

    def room_channel(self, namespace: str, room: str) -> str:
        return f"{self.channel}#{namespace}#{room}"

    @property
    def room_channels(self) -> int:
        """Room channels this worker is subscribed to (confirmed by Redis)."""
        return len(self._confirmed)

    # ---- publishing ---------------------------------------------------------------------

    async def _publish(self, data: Any) -> Any:
        room = data.get("room") if data.get("method") == "emit" else None
        if not isinstance(room, str) or not self._sharded(room):
            return await super()._publish(data)
        channel = self.room_channel(data.get("namespace") or "/", room)
        body = self._host + self.json.dumps(data).encode()
        return await self._publisher.publish(channel, body)  # pipelined (publish_batch.py)

    def _publish_client(self) -> Any:
        if not getattr(self, "connected", False):
            self._redis_connect()
        return self.redis

    def _publish_failed(self) -> None:
        self.connected = False  # the next attempt connects again

    # ---- room membership → subscriptions ---------------------------------------------------

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._note(namespace, room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        self._note(namespace, room)

    async def enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        if isinstance(room, str) and self._sharded(room):
            await self._until_subscribed(self.room_channel(namespace or "/", room))

    def _note(self, namespace: str, room: Any) -> None:
        """After a local room change: subscribe on the first member, unsubscribe after the last."""
        if not isinstance(room, str) or not self._sharded(room):
            return
        channel = self.room_channel(namespace or "/", room)
        local = bool(self.rooms.get(namespace, {}).get(room))
        if local == (channel in self._wanted):
            return
        if local:
            self._wanted.add(channel)
        else:
            self._wanted.discard(channel)
        if self._applying is None or self._applying.done():
            self._applying = asyncio.get_running_loop().create_task(self._apply())

    async def _apply(self) -> None:
        """Bring the connection's subscriptions to `_wanted`, in order, one batch at a time."""
        while self._listening and self._sent != self._wanted:
            new, gone = self._wanted - self._sent, self._sent - self._wanted
            try:
                if new:
                    self._sent |= new
                    await self.pubsub.ssubscribe(*sorted(new))
                if gone:
                    self._sent -= gone
                    await self.pubsub.sunsubscribe(*sorted(gone))
            except Exception:  # noqa: BLE001 - the listener reconnects and resubscribes
                self._get_logger().exception("room channel subscription failed")
                return

    async def _until_subscribed(self, channel: str) -> None:
        if channel in self._confirmed or channel not in self._wanted:
            return
        if asyncio.current_task() is getattr(self, "thread", None):
            return  # the listener itself reads the confirmation: it cannot wait for it
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, SUBSCRIBE_WAIT)

    def _confirm(self, channel: str, subscribed: bool) -> None:
        if not subscribed:
            self._confirmed.discard(channel)
            return
        self._confirmed.add(channel)
        for waiter in self._waiters.pop(channel, ()):
            if not waiter.done():
                waiter.set_result(None)

    # ---- listening ----------------------------------------------------------------------

    def _redis_connect(self) -> None:
        super()._redis_connect()
        # subscription confirmations are needed: enter_room waits for them
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)

    async def _redis_listen_with_retries(self) -> AsyncIterator[dict[str, Any]]:
        # capped backoff, one log line per outage and per recovery (domain/reconnect.py)
        reconnect = Reconnect(log, f"Redis (Socket.IO channel {self.channel})")
        while True:
            try:
                self._listening = False
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                self._confirmed.clear()
                self._sent = set(self._wanted)
                if self._sent:
                    await self.pubsub.ssubscribe(*sorted(self._sent))
                self._listening = True
                reconnect.succeeded()
                if self._sent != self._wanted:
                    self._applying = asyncio.get_running_loop().create_task(self._apply())
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:  # noqa: BLE001 - reconnect, as python-socketio does
                await reconnect.failed(exc)

    async def _listen(self) -> AsyncIterator[Any]:
        """Yields decoded messages (python-socketio's listener accepts dicts)."""
        main = self.channel.encode()
        async for message in self._redis_listen_with_retries():
            kind, channel = message.get("type"), message.get("channel")
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            if kind in ("ssubscribe", "sunsubscribe"):
                self._confirm(name, kind == "ssubscribe")
            elif kind == "smessage":
                data = message["data"]
                if data[:HOST_ID_BYTES] == self._host:
                    self.stats.own_skipped += 1
                    continue
                decoded = self._decode(data[HOST_ID_BYTES:], "room")
                if decoded is not None:
                    yield decoded
            elif kind == "message" and channel == main:
                decoded = self._decode(message["data"], "broadcast")
                if decoded is not None:
                    yield decoded

    def _decode(self, data: bytes, kind: str) -> dict[str, Any] | None:
        """The message, tagged with its channel kind and decoding time for `_handle_emit`."""
        started = time.perf_counter()
        try:
            decoded = self.json.loads(data)
        except Exception:  # noqa: BLE001 - python-socketio also ignores undecodable messages
            return None
        if not isinstance(decoded, dict):
            return None
        decoded[_TIMING] = (kind, time.perf_counter() - started)
        return decoded

    async def _handle_emit(self, message: Any) -> None:
        timing = message.pop(_TIMING, None) if isinstance(message, dict) else None
        if timing is None:  # this worker's own emit, delivered before publishing
            return await super()._handle_emit(message)
        started = time.perf_counter()
        room = message.get("room")
        members = self.rooms.get(message.get("namespace") or "/", {})
        local = bool(members if room is None else members.get(room)) if _hashable(room) else True
        await super()._handle_emit(message)
        kind, decoding = timing
        self.stats.add(kind, local, decoding + time.perf_counter() - started)


_TIMING = "__studysync_timing"


def _hashable(room: Any) -> bool:
    return room is None or isinstance(room, str | int)


class PubSubCollector(Collector):
    """/metrics families for a manager's `stats` (one worker's figures)."""

    def __init__(self, manager: ShardedRedisManager) -> None:
        self.manager = manager

    def collect(self) -> Iterator[Any]:
        stats = self.manager.stats
        messages = CounterMetricFamily(
            "studysync_realtime_pubsub_messages",
            "Redis fan-out messages this worker decoded, by channel and local recipients",
            labels=["channel", "recipients"],
        )
        seconds = CounterMetricFamily(
            "studysync_realtime_pubsub_seconds",
            "Seconds spent decoding and delivering them",
            labels=["channel", "recipients"],
        )
        for (kind, recipients), count in sorted(stats.messages.items()):
            messages.add_metric([kind, recipients], count)
            seconds.add_metric([kind, recipients], stats.seconds[(kind, recipients)])
        own = CounterMetricFamily(
            "studysync_realtime_pubsub_own_skipped",
            "This worker's own room broadcasts echoed by Redis, skipped without decoding",
        )
        own.add_metric([], stats.own_skipped)
        channels = GaugeMetricFamily(
            "studysync_realtime_room_channels", "Room channels this worker is subscribed to"
        )
        channels.add_metric([], self.manager.room_channels)
        yield from (messages, seconds, own, channels)
