"""Idle-connection benchmark: C authenticated websocket clients on one server process.

For our server (`server.py serve --workers 1`, Redis for presence, SQLite) and the Node.js
socket.io server (bench/node/server.js, one process) it prints the connect rate, the server's
resident memory per connection (VmRSS delta / C, from /proc/<pid>/status) and the CPU the server
spends keeping C idle sockets alive (Engine.IO pings every 25 s, our presence heartbeat every
30 s) over an idle window. Clients are bench/common.py RawSocket: one aiohttp websocket each, all
in this process, answering pings.

Our users are inserted straight into the database and their tokens minted with the server's
secret: registering 10,000 users through the API would take minutes and measure bcrypt.

    .venv/bin/python bench/connections.py                 # 10,000 clients, 60 s idle window
    .venv/bin/python bench/connections.py --smoke         # 200 clients, 3 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    NODE_DIR,
    PYTHON,
    REDIS_URL,
    RUN_ID,
    Proc,
    RawSocket,
    client_session,
    connect_all,
    cpu_seconds,
    delete_redis_keys,
    free_port,
    machine,
    node_ready,
    raise_nofile,
    rss_bytes,
)


class Server(ABC):
    key = ""
    label = ""
    proc: Proc | None = None
    port = 0

    @abstractmethod
    async def start(self, count: int) -> list[dict[str, Any]]:
        """Start; returns one handshake auth per client."""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    async def cleanup(self) -> None:
        return None  # optional hook: nothing to do by default


class Ours(Server):
    key = "ours"
    label = "ours: server.py serve --workers 1 (JWT auth on connect, Redis presence)"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.prefix = f"studysync-bench-{RUN_ID}-conn"
        self.secret = secrets.token_urlsafe(48)
        self.database_url = f"sqlite+aiosqlite:///{work}/conn.db"

    async def start(self, count: int) -> list[dict[str, Any]]:
        self.port = free_port()
        config = self.work / "conn.toml"
        config.write_text(
            f'database_url = "{self.database_url}"\nredis_url = "{REDIS_URL}"\n'
            f'redis_prefix = "{self.prefix}"\nlog_level = "WARNING"\n'
            '[matching]\nembedder = "hashing"\n'
        )
        self.proc = Proc(
            "ours",
            [PYTHON, "server.py", "serve", "--port", str(self.port), "--config", str(config)],
            self.work / "ours.log",
            env={"JWT_SECRET_KEY": self.secret},
        )
        self.proc.wait_listening(self.port)
        return [{"token": token} for token in await self._users(count)]

    async def _users(self, count: int) -> list[str]:
        from sqlalchemy import insert, select

        from domain.security import TokenIssuer
        from storage.engine import create_engine
        from storage.tables import users
        from storage.types import utcnow

        engine = create_engine(self.database_url)
        now = utcnow()
        rows = [
            {
                "email": f"idle{RUN_ID}{n}@uni.edu",
                "password_hash": "!",
                "name": f"Idle {n}",
                "subjects": [],
                "study_environments": [],
                "study_methods": [],
                "schedule": {},
                "group_preferences": {},
                "calendar_token": secrets.token_hex(16),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ]
        try:
            async with engine.begin() as db:
                await db.execute(insert(users), rows)
                found = (await db.execute(select(users.c.id, users.c.email))).all()
        finally:
            await engine.dispose()
        issuer = TokenIssuer(self.secret, 3600)
        return [issuer.issue(user_id, email) for user_id, email in found]

    async def cleanup(self) -> None:
        await delete_redis_keys(self.prefix)


class Bare(Server):
    key = "bare"
    label = "bare python-socketio (bench/bare_server.py), one process, no auth"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.prefix = f"studysync-bench-{RUN_ID}-connbare"

    async def start(self, count: int) -> list[dict[str, Any]]:
        self.port = free_port()
        self.proc = Proc(
            "bare",
            [
                PYTHON,
                "bench/bare_server.py",
                "--port",
                str(self.port),
                "--redis-url",
                REDIS_URL,
                "--prefix",
                self.prefix,
            ],
            self.work / "bare.log",
        )
        self.proc.wait_listening(self.port)
        return [{"room": f"user:{n}"} for n in range(count)]


class Node(Server):
    key = "node"
    label = "Node.js socket.io + redis-adapter, one process, no auth"

    def __init__(self, work: Path) -> None:
        self.work = work
        self.prefix = f"studysync-bench-{RUN_ID}-connnode"

    async def start(self, count: int) -> list[dict[str, Any]]:
        self.port = free_port()
        self.proc = Proc(
            "node",
            ["node", "server.js"],
            self.work / "node.log",
            env={"PORT": str(self.port), "REDIS_URL": REDIS_URL, "REDIS_PREFIX": self.prefix},
            cwd=NODE_DIR,
        )
        self.proc.wait_listening(self.port)
        return [{"room": f"user:{n}"} for n in range(count)]


async def measure(server: Server, count: int, idle: float) -> dict[str, Any]:
    auths = await server.start(count)
    assert server.proc is not None
    pid = server.proc.pid
    url = f"http://127.0.0.1:{server.port}"
    async with client_session() as session:
        warm = RawSocket(session, url, "/chat", auths[0])  # imports and first-use caches
        await warm.connect()
        await warm.close()
        await asyncio.sleep(1.0)
        rss_before = rss_bytes(pid)
        sockets = [RawSocket(session, url, "/chat", auth) for auth in auths]
        try:
            seconds = await connect_all(sockets, concurrency=200, handshake_seconds=120)
            await asyncio.sleep(2.0)
            rss_after = rss_bytes(pid)
            cpu_before, started = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(idle)
            cpu = cpu_seconds(pid) - cpu_before
            window = time.monotonic() - started
        finally:
            await asyncio.gather(*(sock.close() for sock in sockets))
    server.stop()
    return {
        "connections": count,
        "connect_s": seconds,
        "connect_per_s": count / seconds,
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "rss_per_conn_kb": (rss_after - rss_before) / count / 1024,
        "idle_window_s": window,
        "idle_cpu_s": cpu,
        "idle_cpu_pct": 100 * cpu / window,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    limit = raise_nofile()
    count = min(args.count, limit - 200)
    print(
        f"machine: {machine()}; run {RUN_ID}; {count} clients (open-file limit {limit}), "
        f"idle window {args.idle:.0f}s"
    )
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="connections-") as tmp:
        work = Path(tmp)
        servers: list[Server] = []
        for key in args.servers.split(","):
            if key == "ours":
                servers.append(Ours(work))
            elif key == "bare":
                servers.append(Bare(work))
            elif key == "node":
                if node_ready():
                    servers.append(Node(work))
                else:
                    print("node: npm install failed; skipping")
        try:
            for server in servers:
                r = await measure(server, count, args.idle)
                results[server.key] = r
                print(
                    f"{server.label}\n  connect {r['connect_per_s']:.0f}/s ({r['connect_s']:.1f}s)"
                    f"  RSS {r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f} MB = "
                    f"{r['rss_per_conn_kb']:.1f} KB/connection  idle CPU {r['idle_cpu_s']:.2f}s"
                    f" over {r['idle_window_s']:.0f}s ({r['idle_cpu_pct']:.1f}%)"
                )
        finally:
            for server in servers:
                server.stop()
                await server.cleanup()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="200 clients, 3 s idle window")
    parser.add_argument("--count", type=int, help="clients (default 10000; smoke 200)")
    parser.add_argument("--idle", type=float, help="idle window seconds (default 60; smoke 3)")
    parser.add_argument("--servers", default="ours,node", help="comma list: ours,bare,node")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    args.count = args.count or (200 if args.smoke else 10_000)
    args.idle = args.idle if args.idle is not None else (3.0 if args.smoke else 60.0)
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(main_async(args))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "args": vars(args), "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
