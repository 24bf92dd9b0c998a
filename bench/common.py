"""Shared pieces of the realtime benchmarks: a minimal Socket.IO client, server processes,
per-run MariaDB / Redis names, and /proc readings. Benchmarks only, never imported by the app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "bench" / "node"
PYTHON = sys.executable
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
MARIADB_HOST = os.environ.get("BENCH_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("BENCH_MARIADB_PORT", "3306"))
RUN_ID = uuid.uuid4().hex[:8]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- a minimal Socket.IO v5 / Engine.IO v4 client over one websocket ----------------------------


class RawSocket:
    """Just enough of the protocol for benchmarks: open packet "0{...}", namespace connect
    "40/ns,{auth}", events "42/ns,[...]" with optional ack ids, acks "43/ns,<id>[...]", and
    "2" pings answered with "3". Much cheaper than python-socketio's AsyncClient, so one client
    process can hold thousands of sockets."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        namespace: str,
        auth: dict[str, Any],
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self._session = session
        self._url = url
        self._ns = namespace
        self._auth = auth
        self._on_event = on_event
        self._event_prefix = f"42{namespace},"
        self._ack_prefix = f"43{namespace},"
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_ack = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, handshake_seconds: float = 30.0) -> None:
        ws = await self._session.ws_connect(
            f"{self._url}/socket.io/?EIO=4&transport=websocket",
            autoping=True,
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
        self._ws = ws
        async with asyncio.timeout(handshake_seconds):
            opened = await ws.receive_str()
            if not opened.startswith("0"):
                raise ConnectionError(f"unexpected open packet {opened[:80]!r}")
            await ws.send_str(f"40{self._ns},{orjson.dumps(self._auth).decode()}")
            while True:
                reply = await ws.receive_str()
                if reply == "2":
                    await ws.send_str("3")
                elif reply.startswith(self._event_prefix):
                    # python-socketio delivers emits made inside the connect handler (our
                    # presence announcement) before the CONNECT packet
                    if self._on_event is not None:
                        self._on_event(reply[len(self._event_prefix) :])
                else:
                    break
        if not reply.startswith(f"40{self._ns},"):
            await ws.close()
            raise ConnectionError(f"namespace refused: {reply[:200]}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for frame in self._ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            data: str = frame.data
            if data == "2":
                await self._ws.send_str("3")
            elif data.startswith(self._event_prefix):
                if self._on_event is not None:
                    self._on_event(data[len(self._event_prefix) :])
            elif data.startswith(self._ack_prefix):
                body = data[len(self._ack_prefix) :]
                split = body.index("[")
                future = self._acks.pop(int(body[:split]), None)
                if future is not None and not future.done():
                    future.set_result(orjson.loads(body[split:])[0])
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("socket closed"))

    async def call(self, event: str, data: Any) -> Any:
        """Emit with an ack; returns the ack's first argument."""
        assert self._ws is not None
        self._next_ack += 1
        ack_id = self._next_ack
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._ws.send_str(f"42{self._ns},{ack_id}{orjson.dumps([event, data]).decode()}")
        return await future

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


async def connect_all(
    sockets: list[RawSocket], concurrency: int = 100, handshake_seconds: float = 30.0
) -> float:
    """Connect every socket, at most `concurrency` handshakes at a time; returns seconds taken."""
    gate = asyncio.Semaphore(concurrency)

    async def one(sock: RawSocket) -> None:
        async with gate:
            await sock.connect(handshake_seconds)

    started = time.perf_counter()
    await asyncio.gather(*(one(sock) for sock in sockets))
    return time.perf_counter() - started


def client_session(limit: int = 0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, force_close=True))


# ---- processes --------------------------------------------------------------------------------


def raise_nofile() -> int:
    """Raise this process's open-file limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """A server subprocess in its own process group; `stop` ends the whole group."""

    def __init__(
        self,
        name: str,
        args: list[str],
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.log_path = log
        self._log = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_listening(self, port: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not listen on {port}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [int(x) for x in path.read_text().split()]
    return []


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def node_ready() -> bool:
    """npm install in bench/node when node_modules is missing (the bench setup step)."""
    if (NODE_DIR / "node_modules" / "socket.io").exists():
        return True
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode == 0


# ---- per-run services ---------------------------------------------------------------------------


async def _mariadb_admin(statement: str) -> None:
    import asyncmy

    connection = await asyncmy.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root")
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        connection.close()


async def create_database(name: str) -> str:
    await _mariadb_admin(
        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    return f"mysql+asyncmy://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"


async def drop_database(name: str) -> None:
    await _mariadb_admin(f"DROP DATABASE IF EXISTS `{name}`")


async def delete_redis_keys(prefix: str) -> int:
    """Remove every key this run created (channels leave nothing behind)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        await client.aclose()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} MB RAM, Python {sys.version.split()[0]}"
