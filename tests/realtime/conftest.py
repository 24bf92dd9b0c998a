"""Real Socket.IO clients against a real server: every wait has a timeout, so nothing hangs."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import socketio

NAMESPACE = "/chat"
WAIT = 5.0  # seconds an expected event may take
CONNECT_WAIT = 15.0  # a refused connect answers at once; a slow accepted one is load, not a bug
QUIET = 0.5  # seconds an event must stay absent to count as "not sent"
UNSET = object()


class ChatSocket:
    """A python-socketio AsyncClient on /chat that queues every server event by name."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queues: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.refusals: list[Any] = []
        self.sio.on("*", self._record, namespace=NAMESPACE)
        self.sio.on("connect_error", self._refused, namespace=NAMESPACE)

    async def _record(self, event: str, data: Any = None) -> None:
        self.queues[event].put_nowait(data)

    async def _refused(self, data: Any = None) -> None:
        self.refusals.append(data)

    async def connect(
        self,
        url: str,
        token: str | None = None,
        *,
        how: str = "auth",
        transport: str = "websocket",
    ) -> ChatSocket:
        """how: "auth" (auth payload), "header" (Authorization), "query" (?token=)."""
        options: dict[str, Any] = {}
        if token is not None and how == "auth":
            options["auth"] = {"token": token}
        elif token is not None and how == "header":
            options["headers"] = {"Authorization": f"Bearer {token}"}
        elif token is not None and how == "query":
            url = f"{url}?token={token}"
        await self.sio.connect(
            url,
            namespaces=[NAMESPACE],
            transports=[transport],
            wait_timeout=CONNECT_WAIT,
            **options,
        )
        return self

    async def call(self, event: str, data: Any = UNSET, timeout: float = WAIT) -> Any:
        """Emit with an ack and return the ack payload."""
        if data is UNSET:
            return await self.sio.call(event, namespace=NAMESPACE, timeout=timeout)
        return await self.sio.call(event, data, namespace=NAMESPACE, timeout=timeout)

    async def ok(self, event: str, data: Any = UNSET) -> dict[str, Any]:
        ack = await self.call(event, data)
        assert ack["ok"] is True, ack
        return ack

    async def error(self, event: str, data: Any, code: str) -> dict[str, Any]:
        ack = await self.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
        return ack["error"]

    async def next(self, event: str, timeout: float = WAIT) -> Any:
        try:
            return await asyncio.wait_for(self.queues[event].get(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {event!r} event within {timeout}s") from None

    async def quiet(self, event: str, seconds: float = QUIET) -> None:
        """Assert that no `event` arrives (also none still queued) within `seconds`."""
        await asyncio.sleep(seconds)
        queue = self.queues[event]
        assert queue.empty(), f"unexpected {event!r}: {queue.get_nowait()}"

    def drop(self, event: str) -> None:
        """Forget queued events of one kind."""
        queue = self.queues[event]
        while not queue.empty():
            queue.get_nowait()

    @property
    def connected(self) -> bool:
        return self.sio.connected and NAMESPACE in self.sio.namespaces

    async def close(self) -> None:
        if self.sio.connected:
            await asyncio.wait_for(self.sio.disconnect(), WAIT)


SocketFactory = Callable[..., Any]


def base_url(client: Any) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
async def sockets(client: Any) -> AsyncIterator[SocketFactory]:
    """open_socket(token, how=...) → a connected ChatSocket on the `client` fixture's server;
    every socket is closed at teardown."""
    opened: list[ChatSocket] = []

    async def open_socket(token: str | None, **options: Any) -> ChatSocket:
        sock = ChatSocket()
        opened.append(sock)
        return await sock.connect(base_url(client), token, **options)

    yield open_socket
    for sock in opened:
        await sock.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "one_backend: socket behaviour independent of the database; SQLite run only"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked one_backend keep only their SQLite variant (the transport is under test)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("one_backend") and params.get("database_url") == "mariadb":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
async def rest() -> Any:
    """The two-worker tests' REST client (tests/realtime/test_two_workers.py's Rest)."""
    from tests.realtime.test_two_workers import Rest

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        yield Rest(http)


@pytest.fixture
async def worker_sockets() -> Any:
    """The two-worker tests' open_socket(worker, account, **options) → a connected ChatSocket;
    all closed at teardown."""
    opened: list[ChatSocket] = []

    async def open_socket(worker: Any, account: dict[str, Any], **options: Any) -> ChatSocket:
        sock = ChatSocket()
        opened.append(sock)
        return await sock.connect(worker.url, account["token"], **options)

    yield open_socket
    for sock in opened:
        await sock.close()


@pytest.fixture
async def push_service() -> AsyncIterator[Any]:
    """A local push service (tests/realtime/push_helpers.py) on a free loopback port."""
    from tests.realtime.push_helpers import LocalPushService

    service = await LocalPushService().start()
    yield service
    await service.close()
