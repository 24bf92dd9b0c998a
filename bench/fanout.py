"""Chat fan-out benchmark: K rooms of M members over 2 server processes sharing Redis.

For each server — (a) ours, full path (`server.py serve --workers 2`: JWT auth, MariaDB
persistence, broadcast), (b) bench/bare_server.py (python-socketio + the same Redis manager, no
auth or persistence; 2 processes on one SO_REUSEPORT port), (c) Node.js socket.io +
@socket.io/redis-adapter (bench/node/server.js, 2 processes on 2 ports) — and each scenario it runs

  1. a fixed-rate phase: senders emit "message:send" with acks at a fixed total rate chosen so the
     server delivers --target deliveries/s; latency is send → each member's receipt, from a
     timestamp carried in the message content;
  2. a saturation phase: every sender keeps --window sends in flight (closed loop), which measures
     the most deliveries/s the server sustains.

It prints delivered messages/s, latency p50/p95/p99, lost and duplicated deliveries, then the
ratios (a)/(b) and (a)/(c). Clients are bench/common.py RawSocket (one websocket each, all in this
process) because python-socketio's AsyncClient costs several times more CPU per received frame and
made the client, not the servers, the bottleneck on a 2-core machine.

    .venv/bin/python bench/fanout.py            # full run (~5 minutes)
    .venv/bin/python bench/fanout.py --smoke    # tiny sizes, ~20 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    NODE_DIR,
    PYTHON,
    REDIS_URL,
    ROOT,
    RUN_ID,
    Proc,
    RawSocket,
    children,
    client_session,
    connect_all,
    cpu_seconds,
    create_database,
    delete_redis_keys,
    drop_database,
    free_port,
    machine,
    node_ready,
    percentile,
    raise_nofile,
)

DRAIN_QUIET = 5.0
MAX_GROUP_MEMBERS = 50  # the product's cap (api.md); bigger bench rooms are filled in SQL


@dataclass(frozen=True)
class Scenario:
    name: str
    rooms: int
    members: int
    senders: int  # per room


FULL = [Scenario("50x20", 50, 20, 2), Scenario("1x1000", 1, 1000, 10)]
# Smoke: one tiny scenario; its rooms exceed a lowered REST cap so the SQL fill path runs too.
SMOKE = [Scenario("2x6", 2, 6, 1)]
SMOKE_REST_CAP = 4


@dataclass
class Room:
    group_id: int
    sockets: list[RawSocket] = field(default_factory=list)


@dataclass
class PhaseStats:
    prefix: str
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    dups: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)
    first_send: float = 0.0
    last_receipt: float = 0.0
    receipts: dict[str, tuple[float, float]] = field(default_factory=dict)  # first, last
    first_latencies: list[float] = field(default_factory=list)  # send → its first receipt

    def spread_ms(self) -> float:
        """Median time from a send's first receipt to its last: in a big room, how long the
        one client process takes to read one broadcast's frames (or the server to write them)."""
        spreads = sorted(last - first for first, last in self.receipts.values())
        return percentile(spreads, 0.50) * 1000

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        acks = sorted(self.acks)
        expected = sum(self.expected.values())
        got = sum(min(self.received.get(k, 0), n) for k, n in self.expected.items())
        span = max(1e-9, self.last_receipt - self.first_send)
        return {
            "sent": len(self.expected),
            "send_errors": self.errors,
            "error_codes": self.error_codes,
            "deliveries": len(self.latencies),
            "delivered_per_s": len(self.latencies) / span,
            "sends_per_s": len(self.expected) / span,
            "lost": expected - got,
            "duplicated": self.dups,
            "p50_ms": percentile(lat, 0.50) * 1000,
            "p95_ms": percentile(lat, 0.95) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000,
            "max_ms": (lat[-1] if lat else float("nan")) * 1000,
            "ack_p50_ms": percentile(acks, 0.50) * 1000,
            "ack_p99_ms": percentile(acks, 0.99) * 1000,
            "spread_p50_ms": self.spread_ms(),
            "first_p99_ms": percentile(sorted(self.first_latencies), 0.99) * 1000,
        }


class Bench:
    """Holds the rooms of one scenario on one server and runs the phases."""

    def __init__(self, rooms: list[Room], seen: list[set[str]]) -> None:
        self.rooms = rooms
        self.seen = seen
        self.stats: PhaseStats | None = None
        self.events = 0

    def handler(self, seen: set[str]) -> Any:
        def on_event(data: str) -> None:
            self.events += 1
            stats = self.stats
            if stats is None or not data.startswith('["message:new"'):
                return  # presence and other events
            now = time.time()
            content = orjson.loads(data)[1]["message"]["content"]
            key, _, sent = content.partition("|")
            if not key.startswith(stats.prefix):
                return
            if key in seen:
                stats.dups += 1
                return
            seen.add(key)
            stats.latencies.append(now - float(sent))
            stats.received[key] = stats.received.get(key, 0) + 1
            stats.last_receipt = now
            if key not in stats.receipts:
                stats.first_latencies.append(now - float(sent))
            stats.receipts[key] = (stats.receipts.get(key, (now, now))[0], now)

        return on_event

    async def settle(self, quiet: float = 1.0, limit: float = 120.0) -> None:
        """Wait until no event (e.g. presence announcements after connecting) arrives for a
        moment."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = self.events
            await asyncio.sleep(quiet)
            if self.events == before:
                return

    async def _send(self, stats: PhaseStats, sock: RawSocket, room: Room, key: str) -> None:
        sent = time.time()
        payload = {"groupId": room.group_id, "content": f"{key}|{sent:.6f}", "clientId": key}
        try:
            ack = await sock.call("message:send", payload)
        except ConnectionError:
            stats.errors += 1
            return
        if isinstance(ack, dict) and ack.get("ok"):
            stats.acks.append(time.time() - sent)
            stats.expected[key] = len(room.sockets)
        else:
            stats.errors += 1
            code = str((ack or {}).get("error", {}).get("code", ack))
            stats.error_codes[code] = stats.error_codes.get(code, 0) + 1

    def _senders(self) -> list[tuple[RawSocket, Room, int]]:
        return [
            (room.sockets[i * len(room.sockets) // self.senders_per_room], room, n)
            for n, (room, i) in enumerate(
                (room, i) for room in self.rooms for i in range(self.senders_per_room)
            )
        ]

    senders_per_room = 1

    async def fixed_rate(self, name: str, sends_per_s: float, duration: float) -> dict[str, Any]:
        stats = self._begin(name)
        senders = self._senders()
        interval = len(senders) / sends_per_s
        pending: set[asyncio.Task[None]] = set()
        start = time.monotonic()
        end = start + duration

        async def sender(sock: RawSocket, room: Room, n: int) -> None:
            next_at = start + random.random() * interval
            for seq in itertools.count():
                if next_at >= end:
                    return
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                task = asyncio.create_task(self._send(stats, sock, room, f"{name}.{n}.{seq}"))
                pending.add(task)
                task.add_done_callback(pending.discard)
                next_at += interval

        await asyncio.gather(*(sender(*s) for s in senders))
        return await self._finish(stats, pending)

    async def saturate(self, name: str, window: int, duration: float) -> dict[str, Any]:
        stats = self._begin(name)
        end = time.monotonic() + duration
        counter = itertools.count()

        async def loop(sock: RawSocket, room: Room, n: int) -> None:
            while time.monotonic() < end:
                await self._send(stats, sock, room, f"{name}.{n}.{next(counter)}")

        await asyncio.gather(*(loop(*s) for s in self._senders() for _ in range(window)))
        return await self._finish(stats, set())

    def _begin(self, name: str) -> PhaseStats:
        for seen in self.seen:
            seen.clear()
        self.stats = PhaseStats(prefix=f"{name}.", first_send=time.time())
        self._cpu_start = (time.process_time(), time.monotonic())
        return self.stats

    async def _finish(self, stats: PhaseStats, pending: set[asyncio.Task[None]]) -> dict[str, Any]:
        if pending:
            await asyncio.wait(pending, timeout=30)
        # Drain: wait while deliveries still arrive (a saturated server may be seconds behind);
        # whatever has not arrived once they stop for DRAIN_QUIET seconds counts as lost.
        expected = sum(stats.expected.values())
        last_got, last_change = -1, time.monotonic()
        while time.monotonic() - last_change < DRAIN_QUIET:
            got = sum(stats.received.values())
            if got >= expected:
                break
            if got != last_got:
                last_got, last_change = got, time.monotonic()
            await asyncio.sleep(0.05)
        cpu0, wall0 = self._cpu_start
        self.stats = None
        result = stats.summary()
        client_cpu = time.process_time() - cpu0
        result["client_cpu_pct"] = 100 * client_cpu / (time.monotonic() - wall0)
        result["client_cpu_us_per_delivery"] = 1e6 * client_cpu / max(1, result["deliveries"])
        return result


# ---- servers --------------------------------------------------------------------------------


class Target(ABC):
    label = ""
    key = ""

    async def start(self) -> None:
        return None  # optional hook: nothing to do by default

    @abstractmethod
    async def rooms_for(self, scenario: Scenario) -> list[tuple[int, list[tuple[str, dict]]]]:
        """[(group id, [(url, auth) per member])]"""

    def pids(self) -> list[int]:
        return []

    def worker_pids(self) -> list[int]:
        """One pid per worker, in worker order (for the per-worker CPU split)."""
        return self.pids()

    async def pubsub_seconds(self) -> list[dict[str, float]]:
        """Per worker: seconds spent on Redis fan-out messages, by "channel/recipients"."""
        return []

    async def stop(self) -> None:
        return None  # optional hook: nothing to do by default

    async def cleanup(self) -> None:
        return None  # optional hook: nothing to do by default


class Ours(Target):
    label = "(a) ours: server.py serve --workers 2 (auth + MariaDB + broadcast)"
    key = "ours"

    def __init__(self, work: Path, root: Path = ROOT, key: str = "ours") -> None:
        self.work = work
        self.root = root
        self.key = key
        if key == "before":
            self.label = f"(a0) ours before: {root} (server.py serve --workers 2)"
        self.db_name = f"studysync_bench_{RUN_ID}_{key}"
        self.prefix = f"studysync-bench-{RUN_ID}-{key}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None
        self.database_url = ""
        self.users: list[dict[str, Any]] = []
        self.rest_cap = MAX_GROUP_MEMBERS
        self.single_channel = False  # [chat] room_channels = false

    async def start(self) -> None:
        config = await self._config()
        self.proc = Proc(
            "ours",
            [
                PYTHON,
                "server.py",
                "serve",
                "--workers",
                "2",
                "--port",
                str(self.port),
                "--config",
                str(config),
            ],
            self.work / "ours.log",
            cwd=self.root,
        )
        self.proc.wait_listening(self.port)
        await asyncio.sleep(1.0)  # both workers up (the second binds a moment later)

    async def _config(self) -> Path:
        if not self.database_url:
            self.database_url = await create_database(self.db_name)
        config = self.work / "ours.toml"
        # Bench-only settings: cheap bcrypt for the many registrations, the send rate limit out
        # of the way, WARNING logs (no per-request lines), the hashing embedder (no model load).
        # (room_channels only when asked: an older checkout does not know the setting)
        single = "room_channels = false\n" if self.single_channel else ""
        config.write_text(
            f'database_url = "{self.database_url}"\nredis_url = "{REDIS_URL}"\n'
            f'redis_prefix = "{self.prefix}"\njwt_secret_file = "{self.work}/jwt-secret"\n'
            'bcrypt_rounds = 4\nlog_level = "WARNING"\n'
            f"[chat]\nsend_rate_per_minute = 10000000\n{single}"
            '[matching]\nembedder = "hashing"\n'
        )
        return config

    def pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    async def _users(self, http: Any, count: int) -> list[dict[str, Any]]:
        gate = asyncio.Semaphore(8)

        async def register(n: int) -> dict[str, Any]:
            body = {"name": f"Bench {n}", "email": f"bench{n}@uni.edu", "password": "bench pass 1"}
            async with gate, http.post(f"{self.url}/api/auth/register", json=body) as response:
                data = await response.json()
                assert response.status == 201, data
                return {"id": data["user"]["id"], "token": data["token"]}

        start = len(self.users)
        self.users += await asyncio.gather(*(register(n) for n in range(start, count)))
        return self.users[:count]

    async def rooms_for(self, scenario: Scenario) -> list[tuple[int, list[tuple[str, dict]]]]:
        import aiohttp

        need = scenario.rooms * scenario.members
        async with aiohttp.ClientSession() as http:
            users = await self._users(http, need)
            rooms = []
            for r in range(scenario.rooms):
                members = users[r * scenario.members : (r + 1) * scenario.members]
                group_id = await self._group(http, scenario, r, members)
                rooms.append((group_id, [(self.url, {"token": u["token"]}) for u in members]))
        return rooms

    async def _group(self, http: Any, scenario: Scenario, r: int, members: list[dict]) -> int:
        def auth(user: dict[str, Any]) -> dict[str, str]:
            return {"Authorization": f"Bearer {user['token']}"}

        body = {
            "title": f"Bench {scenario.name} room {r}",
            "subject": "Benchmarks",
            "maxMembers": min(self.rest_cap, scenario.members),
        }
        url = f"{self.url}/api/groups/create"
        async with http.post(url, json=body, headers=auth(members[0])) as response:
            data = await response.json()
            assert response.status == 201, data
            group_id = int(data["group"]["id"])
        joiners = members[1 : self.rest_cap]
        gate = asyncio.Semaphore(8)

        async def join(user: dict[str, Any]) -> None:
            url = f"{self.url}/api/groups/{group_id}/join"
            async with gate, http.post(url, headers=auth(user)) as response:
                assert response.status == 200, await response.text()

        await asyncio.gather(*(join(u) for u in joiners))
        if len(members) > self.rest_cap:
            await self._add_members_in_sql(group_id, members[self.rest_cap :])
        return group_id

    async def _add_members_in_sql(self, group_id: int, members: list[dict[str, Any]]) -> None:
        """Rooms above the product's 50-member cap: the REST API refuses those joins, so the bench
        writes the extra active memberships itself."""
        from sqlalchemy import insert

        from storage.engine import create_engine
        from storage.tables import group_members
        from storage.types import utcnow

        engine = create_engine(self.database_url)
        try:
            async with engine.begin() as db:
                now = utcnow()
                await db.execute(
                    insert(group_members),
                    [
                        {
                            "group_id": group_id,
                            "user_id": u["id"],
                            "role": "member",
                            "status": "active",
                            "joined_at": now,
                        }
                        for u in members
                    ],
                )
        finally:
            await engine.dispose()

    async def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    async def cleanup(self) -> None:
        await delete_redis_keys(self.prefix)
        if self.database_url:
            await drop_database(self.db_name)


class OursSplit(Ours):
    """(a) as N separate `server.py serve` processes on N ports (as behind a load balancer), so
    the bench chooses which worker each client lands on and reads each worker's /metrics.
    placement "spread": member m of a room on worker m % N (every worker in every room); "room":
    room r's members all on worker r % (N - idle); the last `idle` workers get no client at all,
    so whatever CPU they use for fan-out is spent on rooms where they have no member."""

    def __init__(self, work: Path, root: Path, workers: int, placement: str, idle: int) -> None:
        super().__init__(work, root)
        self.label = (
            f"(a) ours: {workers} x server.py serve, placement {placement}, {idle} idle worker(s)"
        )
        self.ports = [free_port() for _ in range(workers)]
        self.placement, self.idle = placement, idle
        self.procs: list[Proc] = []

    async def start(self) -> None:
        config = await self._config()
        self.url = f"http://127.0.0.1:{self.ports[0]}"  # the REST set-up
        for i, port in enumerate(self.ports):  # the first migrates, alone
            args = [PYTHON, "server.py", "serve", "--port", str(port), "--config", str(config)]
            log = self.work / f"ours{i}.log"
            proc = Proc(f"ours{i}", args + (["--no-migrate"] if i else []), log, cwd=self.root)
            self.procs.append(proc)
            proc.wait_listening(port)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def rooms_for(self, scenario: Scenario) -> list[tuple[int, list[tuple[str, dict]]]]:
        rooms = await super().rooms_for(scenario)
        busy = len(self.ports) - self.idle
        urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        return [
            (
                gid,
                [
                    (urls[(m if self.placement == "spread" else r) % busy], auth)
                    for m, (_, auth) in enumerate(members)
                ],
            )
            for r, (gid, members) in enumerate(rooms)
        ]

    async def pubsub_seconds(self) -> list[dict[str, float]]:
        import aiohttp
        from prometheus_client.parser import text_string_to_metric_families

        out = []
        async with aiohttp.ClientSession() as http:
            for port in self.ports:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
                seconds = {
                    f"{s.labels['channel']}/{s.labels['recipients']}": s.value
                    for family in text_string_to_metric_families(text)
                    for s in family.samples
                    if s.name == "studysync_realtime_pubsub_seconds_total"
                }
                out.append(seconds)
        return out

    async def stop(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.procs = []
        await super().stop()


class Bare(Target):
    label = "(b) bare python-socketio + AsyncRedisManager, 2 processes (no auth/persistence)"
    key = "bare"

    def __init__(self, work: Path, extra: list[str] | None = None) -> None:
        self.work = work
        self.extra = extra or []
        self.prefix = f"studysync-bench-{RUN_ID}-bare"
        self.port = free_port()
        self.procs: list[Proc] = []

    async def start(self) -> None:
        args = [
            PYTHON,
            "bench/bare_server.py",
            "--port",
            str(self.port),
            "--redis-url",
            REDIS_URL,
            "--prefix",
            self.prefix,
            *self.extra,
        ]
        self.procs = [Proc(f"bare{i}", args, self.work / f"bare{i}.log") for i in range(2)]
        for proc in self.procs:
            proc.wait_listening(self.port)
        await asyncio.sleep(1.0)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def rooms_for(self, scenario: Scenario) -> list[tuple[int, list[tuple[str, dict]]]]:
        url = f"http://127.0.0.1:{self.port}"
        return [(r + 1, [(url, {"room": r + 1})] * scenario.members) for r in range(scenario.rooms)]

    async def stop(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.procs = []

    async def cleanup(self) -> None:
        await delete_redis_keys(self.prefix)


class Node(Bare):
    label = "(c) Node.js socket.io + @socket.io/redis-adapter, 2 processes"
    key = "node"

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        self.prefix = f"studysync-bench-{RUN_ID}-node"
        self.ports = [free_port(), free_port()]

    async def start(self) -> None:
        self.procs = [
            Proc(
                f"node{i}",
                ["node", "server.js"],
                self.work / f"node{i}.log",
                env={"PORT": str(port), "REDIS_URL": REDIS_URL, "REDIS_PREFIX": self.prefix},
                cwd=NODE_DIR,
            )
            for i, port in enumerate(self.ports)
        ]
        for proc, port in zip(self.procs, self.ports, strict=True):
            proc.wait_listening(port)

    async def rooms_for(self, scenario: Scenario) -> list[tuple[int, list[tuple[str, dict]]]]:
        urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        return [
            (r + 1, [(urls[m % 2], {"room": r + 1}) for m in range(scenario.members)])
            for r in range(scenario.rooms)
        ]


# ---- driver ---------------------------------------------------------------------------------


def start_py_spy(
    args: argparse.Namespace, target: Target, scenario: Scenario, phase: str, workers: list[int]
) -> list[subprocess.Popen[bytes]]:
    """--py-spy: sample each of (a)'s workers during the saturation phase (collapsed stacks,
    bench/results/py-spy-<server>-<scenario>-w<i>.txt; summarize with bench/profile_table.py)."""
    if not args.py_spy or phase != "saturate" or target.key not in ("ours", "before"):
        return []
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                args.py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.duration)),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out / f"py-spy-{target.key}-{scenario.name}-w{i}.txt"),
            ],
            stdout=subprocess.DEVNULL,
        )
        for i, pid in enumerate(workers)
    ]


def server_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


async def run_scenario(target: Target, scenario: Scenario, args: argparse.Namespace) -> dict:
    started = time.monotonic()
    rooms_spec = await target.rooms_for(scenario)
    setup_s = time.monotonic() - started
    rooms: list[Room] = []
    seen: list[set[str]] = []
    bench = Bench(rooms, seen)
    bench.senders_per_room = scenario.senders
    async with client_session() as session:
        for group_id, members in rooms_spec:
            room = Room(group_id)
            for url, auth in members:
                mine: set[str] = set()
                seen.append(mine)
                room.sockets.append(RawSocket(session, url, "/chat", auth, bench.handler(mine)))
            rooms.append(room)
        sockets = [s for room in rooms for s in room.sockets]
        try:
            connect_s = await connect_all(sockets, concurrency=50)
            await bench.settle(quiet=args.quiet)
            result: dict[str, Any] = {"setup_s": setup_s, "connect_s": connect_s}
            sends_per_s = args.target / scenario.members
            for phase, runner in (
                ("fixed", lambda: bench.fixed_rate("fixed", sends_per_s, args.duration)),
                ("saturate", lambda: bench.saturate("sat", args.window, args.duration)),
            ):
                pids, workers = target.pids(), target.worker_pids()
                cpu0, t0 = server_cpu(pids), time.monotonic()
                per0, pubsub0 = [server_cpu([w]) for w in workers], await target.pubsub_seconds()
                spies = start_py_spy(args, target, scenario, phase, workers)
                result[phase] = await runner()
                for spy in spies:
                    spy.wait()
                used = server_cpu(pids) - cpu0
                per = [server_cpu([w]) - c for w, c in zip(workers, per0, strict=True)]
                result[phase]["worker_cpu_s"] = per
                pubsub1 = await target.pubsub_seconds()
                if pubsub1:
                    result[phase]["pubsub_s"] = [
                        {k: v - before.get(k, 0.0) for k, v in after.items()}
                        for before, after in zip(pubsub0, pubsub1, strict=True)
                    ]
                result[phase]["server_cpu_pct"] = 100 * used / (time.monotonic() - t0)
                # CPU per delivery: robust to other load on the machine, unlike throughput
                result[phase]["server_cpu_us_per_delivery"] = (
                    1e6 * used / max(1, result[phase]["deliveries"])
                )
                await bench.settle(quiet=args.quiet, limit=10)
        finally:
            # Clients leave before the server stops: aiohttp's graceful shutdown waits for open
            # websockets.
            await asyncio.gather(*(s.close() for s in sockets))
    return result


def print_result(label: str, scenario: Scenario, result: dict) -> None:
    print(
        f"  {scenario.name} ({scenario.rooms} rooms x {scenario.members} members, "
        f"{scenario.senders} sender(s)/room): set up {result['setup_s']:.1f}s, "
        f"connect {result['connect_s']:.1f}s, total {result['scenario_s']:.1f}s"
    )
    for phase in ("fixed", "saturate"):
        r = result[phase]
        print(
            f"    {phase:8s} delivered {r['delivered_per_s']:8.0f}/s"
            f"  sends {r['sends_per_s']:6.0f}/s"
            f"  p50 {r['p50_ms']:7.1f}  p95 {r['p95_ms']:7.1f}  p99 {r['p99_ms']:7.1f} ms"
            f"  ack p50 {r['ack_p50_ms']:6.1f}  lost {r['lost']}  dup {r['duplicated']}"
            f"  errors {r['send_errors']}  cpu server {r['server_cpu_pct']:.0f}%"
            f" ({r['server_cpu_us_per_delivery']:.0f} us/delivery)"
            f" client {r['client_cpu_pct']:.0f}%"
        )
        print(
            f"             first receipt p99 {r['first_p99_ms']:.1f} ms, first→last receipt"
            f" of a send p50 {r['spread_p50_ms']:.1f} ms;"
            f" client CPU {r['client_cpu_us_per_delivery']:.0f} us/delivery"
        )
        if len(r.get("worker_cpu_s", [])) > 2:
            print(f"             per-worker CPU s: {_figures(r['worker_cpu_s'])}")
        if any(r.get("pubsub_s", [])):
            none = [sum(v for k, v in w.items() if k.endswith("/none")) for w in r["pubsub_s"]]
            share = [n / max(1e-9, c) for n, c in zip(none, r["worker_cpu_s"], strict=True)]
            print(
                f"             fan-out s on rooms with no local member: {_figures(none)}"
                f" = {_figures([100 * x for x in share])} % of each worker's CPU"
            )


def _figures(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


_LETTER = {"before": "a0", "bare": "b", "node": "c"}


def print_ratios(results: dict[str, dict[str, dict]], scenarios: list[Scenario]) -> None:
    print("\nratios (saturation throughput and CPU efficiency; fixed-rate p99):")
    for scenario in scenarios:
        ours = results.get("ours", {}).get(scenario.name)
        if ours is None:
            continue
        for other in ("before", "bare", "node"):
            theirs = results.get(other, {}).get(scenario.name)
            if theirs is None:
                continue
            ratio = ours["saturate"]["delivered_per_s"] / theirs["saturate"]["delivered_per_s"]
            cost = (
                theirs["saturate"]["server_cpu_us_per_delivery"]
                / ours["saturate"]["server_cpu_us_per_delivery"]
            )
            print(
                f"  {scenario.name}: (a)/({_LETTER[other]}) throughput "
                f"{ratio:.2f}x, deliveries per CPU second {cost:.2f}x   p99 at "
                f"{ours['fixed']['delivered_per_s']:.0f}/s: ours "
                f"{ours['fixed']['p99_ms']:.1f} ms vs {theirs['fixed']['p99_ms']:.1f} ms"
            )


async def main_async(args: argparse.Namespace) -> dict[str, dict[str, dict]]:
    raise_nofile()
    scenarios = SMOKE if args.smoke else FULL
    if args.scenarios:
        scenarios = [s for s in scenarios if s.name in args.scenarios.split(",")]
    wanted = args.servers.split(",")
    results: dict[str, dict[str, dict]] = {}
    print(
        f"machine: {machine()}; load {os.getloadavg()[0]:.1f}; run {RUN_ID}; "
        f"phase {args.duration}s, target "
        f"{args.target}/s, window {args.window}"
    )
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        work = Path(tmp)
        targets: list[Target] = []
        if "ours" in wanted:
            root = Path(args.ours_root) if args.ours_root else ROOT
            ours = (
                OursSplit(work, root, args.ours_workers, args.placement, args.idle_workers)
                if args.ours_workers
                else Ours(work, root)
            )
            if args.smoke:
                ours.rest_cap = SMOKE_REST_CAP
            ours.single_channel = args.single_channel
            targets.append(ours)
        if "before" in wanted:  # the same (a) from another checkout, in the same run
            targets.append(Ours(work, Path(args.before_root), key="before"))
        if "bare" in wanted:
            targets.append(Bare(work, args.bare_args.split()))
        if "node" in wanted:
            if node_ready():
                targets.append(Node(work))
            else:
                print("node: npm install failed; skipping (c)")
        try:
            for target in targets:
                print(f"\n{target.label}")
                results[target.key] = {}
                started = time.monotonic()
                await target.start()
                print(f"  started in {time.monotonic() - started:.1f}s")
                for scenario in scenarios:
                    started = time.monotonic()
                    result = await run_scenario(target, scenario, args)
                    result["scenario_s"] = time.monotonic() - started
                    results[target.key][scenario.name] = result
                    print_result(target.label, scenario, result)
                await target.stop()
        finally:
            for target in targets:
                await target.stop()
                await target.cleanup()
    print_ratios(results, scenarios)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, ~20 s")
    parser.add_argument(
        "--servers", default="ours,bare,node", help="comma list: ours,before,bare,node"
    )
    parser.add_argument("--before-root", help="checkout that 'before' in --servers runs")
    parser.add_argument("--duration", type=float, help="seconds per phase (8; smoke 1)")
    parser.add_argument(
        "--target", type=float, default=1000.0, help="deliveries/s of the fixed-rate phase"
    )
    parser.add_argument("--window", type=int, help="sends in flight per sender when saturating")
    parser.add_argument("--scenarios", help="comma list of scenario names (default: all)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--bare-args", default="", help="extra flags for bench/bare_server.py")
    parser.add_argument("--ours-root", help="run (a) from another checkout (before/after runs)")
    parser.add_argument(
        "--ours-workers", type=int, help="(a) as N processes on N ports (scale-out runs)"
    )
    parser.add_argument(
        "--placement", choices=["spread", "room"], default="spread", help="with --ours-workers"
    )
    parser.add_argument(
        "--single-channel", action="store_true", help="(a) with [chat] room_channels = false"
    )
    parser.add_argument(
        "--idle-workers", type=int, default=0, help="with --ours-workers: workers with no client"
    )
    parser.add_argument(
        "--py-spy", help="path of py-spy: sample (a)'s workers in each saturation phase"
    )
    args = parser.parse_args()
    if args.duration is None:
        args.duration = 1.0 if args.smoke else 8.0
    args.quiet = 0.3 if args.smoke else 1.0
    if args.window is None:
        args.window = 2 if args.smoke else 4
    if args.smoke and args.target == 1000.0:
        args.target = 100.0
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(main_async(args))
    bad = [
        f"{server} {name} {phase}"
        for server, scenarios in results.items()
        for name, result in scenarios.items()
        for phase in ("fixed", "saturate")
        if result[phase]["lost"] or result[phase]["duplicated"]
    ]
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "args": vars(args), "results": results}, indent=2)
        )
    if bad:
        print(f"lost or duplicated deliveries in: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
