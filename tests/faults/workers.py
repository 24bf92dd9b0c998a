"""Real server processes (`python server.py serve`) and socket clients for the fault tests.

Each worker is its own process on its own port, sharing the private MariaDB and Redis given in
its config; a test may SIGKILL one. Every helper has a timeout, and `running_workers` stops every
process it started, whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from tests.conftest import TEST_SECRET
from tests.helpers import profile
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 15.0


def write_config(directory: Path, database_url: str, redis_url: str = "", **chat: Any) -> Path:
    chat_lines = "".join(f"{key} = {value}\n" for key, value in chat.items())
    config = directory / "config.toml"
    config.write_text(
        f'database_url = "{database_url}"\n'
        f'redis_url = "{redis_url}"\n'
        f'redis_prefix = "faults-{directory.name}"\n'
        "bcrypt_rounds = 4\n"
        '[matching]\nembedder = "hashing"\n'
        f"[chat]\n{chat_lines}"
    )
    return config


class Worker:
    def __init__(self, config: Path, log: Path, migrate: bool) -> None:
        self.config = config
        self.log_path = log
        self.migrate = migrate
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "PORT", "HOST"}
        }
        env["JWT_SECRET_KEY"] = TEST_SECRET
        command = [sys.executable, "server.py", "serve", "--port", str(self.port)]
        command += ["--config", str(self.config)]
        if not self.migrate:
            command.append("--no-migrate")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"worker exited:\n{self.log_path.read_text()[-3000:]}")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(f"{self.url}/api/health") as response:
                        if response.status in (200, 503):
                            return
                await asyncio.sleep(0.2)
        raise AssertionError(f"worker on {self.port} did not come up")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.asynccontextmanager
async def running_workers(directory: Path, config: Path, count: int) -> AsyncIterator[list[Worker]]:
    """Start `count` workers (the first migrates the database, the others wait for it)."""
    workers = [Worker(config, directory / f"worker{i}.log", migrate=(i == 0)) for i in range(count)]
    try:
        for worker in workers:
            worker.start()
            await worker.wait_healthy()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


class Api:
    """REST calls like a client makes them, against any worker."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(
        self, method: str, url: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return response.status, await response.json()

    async def register(self, base: str) -> dict[str, Any]:
        status, body = await self.call("POST", f"{base}/api/auth/register", body=profile())
        assert status == 201, body
        return {"token": body["token"], "id": body["user"]["id"]}

    async def group_with(self, base: str, leader: dict[str, Any], *members: dict[str, Any]) -> int:
        body = {"title": "Fault Lab", "subject": "Physics", "maxMembers": 20}
        status, data = await self.call("POST", f"{base}/api/groups/create", leader["token"], body)
        assert status == 201, data
        group_id = data["group"]["id"]
        for member in members:
            status, data = await self.call(
                "POST", f"{base}/api/groups/{group_id}/join", member["token"]
            )
            assert status == 200, data
        return group_id


class ChatClient:
    """A /chat socket (websocket transport) that records every live `message:new` id."""

    def __init__(self, name: str, token: str) -> None:
        self.name = name
        self.token = token
        self.live: list[int] = []
        self.sio: socketio.AsyncClient | None = None

    async def connect(self, base_url: str) -> None:
        await self.close()
        sio = socketio.AsyncClient(reconnection=False)

        async def on_new(data: dict[str, Any]) -> None:
            self.live.append(data["message"]["id"])

        sio.on("message:new", on_new, namespace="/chat")
        await asyncio.wait_for(
            sio.connect(
                base_url,
                namespaces=["/chat"],
                auth={"token": self.token},
                transports=["websocket"],
                wait_timeout=10,
            ),
            STEP_TIMEOUT,
        )
        self.sio = sio

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    async def call(self, event: str, payload: Any, timeout: float = 10.0) -> Any:
        assert self.sio is not None
        return await self.sio.call(event, payload, namespace="/chat", timeout=timeout)

    async def send(self, group_id: int, client_id: str, timeout: float = 10.0) -> dict[str, Any]:
        payload = {
            "groupId": group_id,
            "content": f"{self.name} {client_id}",
            "clientId": client_id,
        }
        return await self.call("message:send", payload, timeout)

    async def sync(self, group_id: int, after: int = 0) -> list[int]:
        """Every message id after `after`, paging through `messages:sync`."""
        return [message["id"] for message in await self.sync_messages(group_id, after)]

    async def sync_messages(self, group_id: int, after: int = 0) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            ack = await self.call(
                "messages:sync", {"groupId": group_id, "after": after, "limit": 200}
            )
            assert ack["ok"], ack
            messages += ack["messages"]
            if not ack["hasMore"]:
                return messages
            after = messages[-1]["id"]

    async def close(self) -> None:
        if self.sio is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sio.disconnect(), 5)
            self.sio = None


async def wait_for(condition: Any, what: str, timeout: float = STEP_TIMEOUT) -> float:
    """Poll until condition() is true; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
