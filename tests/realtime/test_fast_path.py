"""The broadcast fast path (realtime/fast_manager.py) sends what python-socketio would send, in
the same order, to every kind of client, and cuts off a client that stops reading."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp._websocket.writer import WebSocketWriter
from aiohttp.test_utils import TestServer

from realtime.fast_manager import FastManager, FastRedisManager
from realtime.frames import text_frame
from tests.realtime.fast_path_helpers import NS, Hub, RawClient
from tests.services import REDIS_URL, redis_prefix, require_service

WAIT = 10.0
JS_DIR = Path(__file__).resolve().parent / "js"
PAYLOADS: list[tuple[Any, ...]] = [
    ({"text": "héllo ✓ 🎉", "n": 1, "nested": [1, None, True, 2.5]},),
    ("x" * 200,),  # 16-bit length
    ("y" * 70_000,),  # 64-bit length
    (1, "two", {"three": [3]}),  # several arguments
    ("",),
]
Started = Callable[[Hub], Awaitable[int]]


@pytest.fixture
async def start() -> AsyncIterator[Started]:
    servers: list[tuple[Hub, TestServer]] = []

    async def run(hub: Hub) -> int:
        server = TestServer(hub.app)
        await server.start_server()
        servers.append((hub, server))
        assert server.port is not None
        return server.port

    yield run
    for hub, server in servers:
        await hub.stop()
        await server.close()


class FakeTransport:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += bytes(data)

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70_000])
async def test_frame_is_what_aiohttp_writes(size: int) -> None:
    transport = FakeTransport()
    writer = WebSocketWriter(None, transport)  # type: ignore[arg-type]
    payload = ("é" * size).encode()[:size]
    await writer.send_frame(payload, 0x1)
    assert text_frame(payload) == transport.data


async def frames_for(hub: Hub, port: int) -> list[bytes]:
    client = await RawClient.open(port)
    try:
        for args in PAYLOADS:
            await hub.broadcast(*args)
        return [await asyncio.wait_for(client.frame(), WAIT) for _ in PAYLOADS]
    finally:
        client.close()


async def test_fast_path_frames_are_byte_identical_to_python_socketio(start: Started) -> None:
    stock, fast = Hub(socketio.AsyncManager()), Hub(FastManager())
    expected = await frames_for(stock, await start(stock))
    got = await frames_for(fast, await start(fast))
    assert got == expected
    assert fast.manager.fast_deliveries == len(PAYLOADS)


async def test_python_socketio_client_decodes_fast_frames(start: Started) -> None:
    hub = Hub(FastManager())
    port = await start(hub)
    received: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("news", lambda *args: received.put_nowait(args), namespace=NS)
    await client.connect(f"http://127.0.0.1:{port}", namespaces=[NS], transports=["websocket"])
    try:
        for args in PAYLOADS:
            await hub.broadcast(*args)
        for args in PAYLOADS:
            assert await asyncio.wait_for(received.get(), WAIT) == args
        assert hub.manager.fast_deliveries == len(PAYLOADS)
    finally:
        await client.disconnect()


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.skip("NOTICE: node or tests/realtime/js/node_modules missing")
    return node


@pytest.mark.parametrize("transports", ["websocket", "polling,websocket"])
async def test_official_js_client_decodes_fast_frames(start: Started, transports: str) -> None:
    """With "polling,websocket" the client starts on long-polling (queued path) and upgrades;
    after the upgrade its frames come from the fast path."""
    node = node_or_skip()
    hub = Hub(FastManager())
    port = await start(hub)
    count = 40
    process = await asyncio.create_subprocess_exec(
        node, "broadcast.mjs", f"http://127.0.0.1:{port}", str(count), transports,
        cwd=JS_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await check_js_client(hub, process, count)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def check_js_client(hub: Hub, process: asyncio.subprocess.Process, count: int) -> None:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), WAIT)
    assert line.startswith(b"connected"), line
    sent = 0

    async def keep_sending() -> None:
        nonlocal sent
        while sent < count:
            await hub.broadcast({"i": sent, "text": "héllo ✓ 🎉"}, "y" * 300)
            sent += 1
            await asyncio.sleep(0.05)

    sender = asyncio.create_task(keep_sending())
    events = []
    while len(events) < count:
        raw = await asyncio.wait_for(process.stdout.readline(), WAIT)
        if raw.startswith(b"{"):
            events.append(json.loads(raw))
    await sender
    assert await asyncio.wait_for(process.wait(), WAIT) == 0
    assert [e["args"] for e in events] == [
        [{"i": i, "text": "héllo ✓ 🎉"}, "y" * 300] for i in range(count)
    ]
    assert events[-1]["transport"] == "websocket"
    assert hub.manager.fast_deliveries > 0


async def test_polling_and_websocket_clients_in_one_room(start: Started) -> None:
    hub = Hub(FastManager())
    port = await start(hub)
    queues: dict[str, asyncio.Queue[Any]] = {}
    clients = []
    for transport in ("polling", "websocket"):
        client = socketio.AsyncClient(reconnection=False)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        client.on("news", queue.put_nowait, namespace=NS)
        await client.connect(f"http://127.0.0.1:{port}", namespaces=[NS], transports=[transport])
        queues[transport], clients = queue, [*clients, client]
    try:
        for i in range(50):
            await hub.broadcast(i)
            # python-engineio's client refuses a poll response of more than 16 packets
            # (Payload.max_decode_packets), whichever manager queued them: give it time to poll
            await asyncio.sleep(0.01)
        for queue in queues.values():
            assert [await asyncio.wait_for(queue.get(), WAIT) for _ in range(50)] == list(range(50))
        assert hub.manager.fast_deliveries == 50 and hub.manager.queued_deliveries == 50
    finally:
        for client in clients:
            await client.disconnect()


async def test_order_is_kept_when_a_socket_has_queued_packets(start: Started) -> None:
    """Packets waiting in a socket's engine.io queue (sent with engine.io's own `send`, or with
    a callback) go out before a broadcast emitted after them."""
    hub = Hub(FastManager())
    port = await start(hub)
    client = await RawClient.open(port)
    sid = hub.sids[0]
    eio_sid = hub.sio.manager.eio_sid_from_sid(sid, NS)
    total = 300
    try:
        for i in range(total):
            if i % 5 == 0:  # engine.io's public send: the packet waits in the socket's queue
                await hub.sio.eio.send(eio_sid, f'2{NS},["news",{i}]')
            elif i % 50 == 1:  # with a callback: python-socketio's own path
                await hub.sio.emit("news", i, to=sid, namespace=NS, callback=lambda *_: None)
            else:
                await hub.broadcast(i)
            if i % 25 == 21:
                await asyncio.sleep(0.005)  # the writer drains its queue: fast path again
        got = []
        while len(got) < total:
            text = await asyncio.wait_for(client.text(), WAIT)
            body = text.removeprefix(f"42{NS},")
            got.append(json.loads(body[body.index("[") :])[1])
        assert got == list(range(total))
        assert hub.manager.fast_deliveries > 0 and hub.manager.queued_deliveries > 0
    finally:
        client.close()


async def test_a_client_that_stops_reading_is_cut_off_and_others_get_everything(
    start: Started,
) -> None:
    manager = FastManager().bounded(queue_above=64 * 1024, cut_off_above=256 * 1024, max_queued=64)
    hub = Hub(manager)
    port = await start(hub)
    stalled = await RawClient.open(port, receive_buffer=4096)  # then never reads
    stalled_sid = hub.sids[0]
    reader = await RawClient.open(port)
    chunk = "z" * 16_384
    received: list[int] = []

    async def read_all() -> None:
        while True:
            text = await reader.text()
            received.append(json.loads(text.removeprefix(f"42{NS},"))[1]["i"])

    reading = asyncio.create_task(read_all())
    largest_backlog = 0
    sent = 0
    try:
        while stalled_sid not in hub.gone and sent < 3000:
            await hub.broadcast({"i": sent, "chunk": chunk})
            sent += 1
            await asyncio.sleep(0)
            eio = hub.sio.eio.sockets.get(hub.sio.manager.eio_sid_from_sid(stalled_sid, NS))
            if eio is not None:
                largest_backlog = max(largest_backlog, eio.queue.qsize())
        for _ in range(100):
            if stalled_sid in hub.gone and len(received) == sent:
                break
            await asyncio.sleep(0.05)
        assert stalled_sid in hub.gone, f"not cut off after {sent} messages"
        assert manager.cut_offs == 1
        assert largest_backlog <= manager.max_queued + 1
        assert received == list(range(sent))  # the reading client missed nothing
    finally:
        reading.cancel()
        stalled.close()
        reader.close()


@pytest.mark.redis
async def test_two_workers_with_redis_deliver_everything_once(start: Started) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    channel = f"{redis_prefix()}:socketio"
    hubs = [Hub(FastRedisManager(REDIS_URL, channel=channel)) for _ in range(2)]
    ports = [await start(hub) for hub in hubs]
    clients = [await RawClient.open(port) for port in ports]
    try:
        await hubs[0].broadcast("probe")  # both listeners subscribed: the probe crosses
        for client in clients:
            assert await asyncio.wait_for(client.text(), WAIT) == f'42{NS},["news","probe"]'
        for i in range(100):
            for n, hub in enumerate(hubs):
                await hub.broadcast(f"{n}.{i}")
        for client in clients:
            got = [
                json.loads((await asyncio.wait_for(client.text(), WAIT))[len(NS) + 3 :])[1]
                for _ in range(200)
            ]
            assert sorted(got) == sorted(f"{n}.{i}" for n in range(2) for i in range(100))
            for n in range(2):  # each worker's messages in the order it sent them
                assert [g for g in got if g.startswith(f"{n}.")] == [f"{n}.{i}" for i in range(100)]
        # a room entered from the other worker delivers at once
        await hubs[0].sio.enter_room(hubs[1].sids[0], "late", namespace=NS)
        await asyncio.sleep(0.3)
        await hubs[0].broadcast("late news", room="late")
        assert await asyncio.wait_for(clients[1].text(), WAIT) == f'42{NS},["news","late news"]'
        assert all(hub.manager.fast_deliveries > 0 for hub in hubs)
    finally:
        for client in clients:
            client.close()
