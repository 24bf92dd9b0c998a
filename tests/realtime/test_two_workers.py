"""Two real server processes sharing the real Redis and MariaDB, with clients on both.

Each worker is `python server.py serve` on its own port (as `serve --workers 2` runs them behind
one port), with a per-run database and Redis prefix that are removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis

from tests.conftest import TEST_SECRET
from tests.helpers import profile
from tests.processes import ROOT, free_port
from tests.realtime.conftest import QUIET, ChatSocket
from tests.services import (
    REDIS_URL,
    RUN_ID,
    create_mariadb_database,
    drop_mariadb_database,
    redis_prefix,
    require_service,
)

pytestmark = [pytest.mark.redis, pytest.mark.mariadb]
START_TIMEOUT = 90.0


@dataclass
class Worker:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} did not become healthy:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_worker(name: str, directory: Path, env: dict[str, str], migrate: bool) -> Worker:
    port = free_port()
    log = directory / f"{name}.log"
    command = [sys.executable, "server.py", "serve", "--port", str(port)]
    command += ["--config", str(directory / "config.toml")]
    if not migrate:
        command.append("--no-migrate")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    worker = Worker(name, port, process, log)
    try:
        worker.wait_healthy()
    except BaseException:
        worker.stop()
        raise
    return worker


def delete_prefixed_keys(prefix: str) -> int:
    """SCAN + DEL under this run's prefix only (the shared Redis is never flushed)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
        assert not list(client.scan_iter(match=f"{prefix}:*", count=500))
        return len(keys)
    finally:
        client.close()


def two_workers(
    tmp_path_factory: pytest.TempPathFactory, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Worker, Worker]]:
    """Two server processes on one throwaway MariaDB database and one Redis prefix (both
    removed afterwards); neither may log a traceback."""
    require_service("Redis", "127.0.0.1", 6379)
    directory = tmp_path_factory.mktemp(name)
    database = f"studysync_{name}_{RUN_ID}"
    database_url = create_mariadb_database(database)
    prefix = redis_prefix()
    (directory / "config.toml").write_text('bcrypt_rounds = 4\n[matching]\nembedder = "hashing"\n')
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "HOST"}}
    env |= {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix,
        "UPLOADS_DIR": str(directory / "uploads"),  # shared by both workers, not the checkout's
        "JWT_SECRET_KEY": TEST_SECRET,
        **(extra_env or {}),
    }
    started: list[Worker] = []
    try:
        started.append(start_worker("worker-a", directory, env, migrate=True))
        started.append(start_worker("worker-b", directory, env, migrate=False))
        yield started[0], started[1]
    finally:
        for worker in started:
            worker.stop()
        drop_mariadb_database(database)
        delete_prefixed_keys(prefix)
    for worker in started:
        log = worker.log.read_text()
        assert "Traceback" not in log, f"{worker.name} logged an error:\n{log[-3000:]}"


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    yield from two_workers(tmp_path_factory, "workers")


class Rest:
    """REST calls against any worker."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(
        self, method: str, url: str, account: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {account['token']}"} if account else {}
        async with self.http.request(method, url, json=body, headers=headers) as response:
            data = await response.json()
            assert response.status < 300, (response.status, data)
            return data

    async def register(self, worker: Worker) -> dict[str, Any]:
        data = await self.call("POST", f"{worker.url}/api/auth/register", body=profile())
        return {"token": data["token"], "user": data["user"]}

    async def group(self, worker: Worker, leader: dict[str, Any], **fields: Any) -> int:
        body = {"title": "Two Workers", "subject": "Physics", "maxMembers": 20} | fields
        data = await self.call("POST", f"{worker.url}/api/groups/create", leader, body)
        return data["group"]["id"]

    async def join(self, worker: Worker, gid: int, account: dict[str, Any]) -> str:
        data = await self.call("POST", f"{worker.url}/api/groups/{gid}/join", account)
        return data["status"]


async def send(sock: ChatSocket, gid: int, content: str, **extra: Any) -> dict[str, Any]:
    ack = await sock.ok("message:send", {"groupId": gid, "content": content} | extra)
    return ack["message"]


async def test_messages_cross_workers_to_members_only(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, member, outsider = [await rest.register(a) for _ in range(3)]
    gid = await rest.group(a, leader)
    assert await rest.join(b, gid, member) == "active"
    on_a, on_b, outsider_on_b = (
        await worker_sockets(a, leader),
        await worker_sockets(b, member),
        await worker_sockets(b, outsider),
    )

    sent = await send(on_a, gid, "from A")
    assert await on_b.next("message:new") == {"message": sent}
    assert await on_a.next("message:new") == {"message": sent}  # the room includes the sender
    reply = await send(on_b, gid, "from B")
    assert (await on_a.next("message:new"))["message"] == reply
    via_rest = await rest.call(
        "POST", f"{b.url}/api/chat/{gid}/send", member, {"content": "REST on B"}
    )
    assert (await on_a.next("message:new"))["message"] == via_rest["message"]
    react = await on_b.ok("message:react", {"messageId": sent["id"], "emoji": "👍"})
    assert (await on_a.next("message:reaction"))["reactions"] == react["reactions"]
    await outsider_on_b.quiet("message:new")
    await outsider_on_b.quiet("message:reaction", 0)


async def test_live_join_and_leave_cross_workers(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, newcomer = await rest.register(a), await rest.register(a)
    gid = await rest.group(a, leader)
    leader_on_a, newcomer_on_b = await worker_sockets(a, leader), await worker_sockets(b, newcomer)

    assert await rest.join(a, gid, newcomer) == "active"  # REST on A, socket on B
    assert (await leader_on_a.next("member:joined"))["member"]["userId"] == newcomer["user"]["id"]
    sent = await send(leader_on_a, gid, "welcome across workers")
    assert (await newcomer_on_b.next("message:new"))["message"]["id"] == sent["id"]
    await newcomer_on_b.ok("typing", {"groupId": gid, "isTyping": True})
    assert (await leader_on_a.next("typing"))["userId"] == newcomer["user"]["id"]

    await rest.call("POST", f"{a.url}/api/groups/{gid}/leave", newcomer)
    await leader_on_a.next("member:left")
    await send(leader_on_a, gid, "after leaving")
    await newcomer_on_b.quiet("message:new")

    # Approval on A of a request made on B, socket on B.
    approval = await rest.group(a, leader, joinPolicy="approval")
    assert await rest.join(b, approval, newcomer) == "pending"
    assert (await leader_on_a.next("member:requested"))["groupId"] == approval
    uid = newcomer["user"]["id"]
    await rest.call("POST", f"{a.url}/api/groups/{approval}/requests/{uid}/approve", leader)
    sent = await send(leader_on_a, approval, "approved across workers")
    assert (await newcomer_on_b.next("message:new"))["message"]["id"] == sent["id"]


async def test_catch_up_after_disconnect_returns_exactly_the_missed(
    workers, rest, worker_sockets
) -> None:
    a, b = workers
    leader, member = await rest.register(a), await rest.register(b)
    gid = await rest.group(a, leader)
    await rest.join(b, gid, member)
    leader_on_a, member_on_b = await worker_sockets(a, leader), await worker_sockets(b, member)
    seen = [await send(leader_on_a, gid, f"seen {i}") for i in range(3)]
    for message in seen:
        assert (await member_on_b.next("message:new"))["message"] == message
    await member_on_b.close()

    missed = [await send(leader_on_a, gid, f"missed {i}") for i in range(4)]
    rest_sent = await rest.call("POST", f"{b.url}/api/chat/{gid}/send", leader, {"content": "m"})
    missed.append(rest_sent["message"])

    member_on_a = await worker_sockets(a, member)  # reconnects to the other worker
    ack = await member_on_a.ok("messages:sync", {"groupId": gid, "after": seen[-1]["id"]})
    assert ack["messages"] == missed and ack["hasMore"] is False
    page = await rest.call(
        "GET", f"{b.url}/api/chat/{gid}/messages?after={seen[-1]['id']}&limit=2", member
    )
    assert page["messages"] == missed[:2] and page["hasMore"] is True
    await member_on_a.quiet("message:new", 0.2)  # nothing replayed live on reconnect


async def test_retried_client_id_does_not_duplicate_across_workers(
    workers, rest, worker_sockets
) -> None:
    a, b = workers
    leader, member = await rest.register(a), await rest.register(a)
    gid = await rest.group(a, leader)
    await rest.join(a, gid, member)
    leader_on_a = await worker_sockets(a, leader)
    member_on_a, member_on_b = await worker_sockets(a, member), await worker_sockets(b, member)
    payload = {"groupId": gid, "content": "exactly once", "clientId": "retry-xw"}
    acks = await asyncio.gather(  # the same send, at once, on both workers
        member_on_a.call("message:send", payload), member_on_b.call("message:send", payload)
    )
    assert all(ack["ok"] for ack in acks), acks
    first, second = (ack["message"] for ack in acks)
    assert first == second
    again = await send(member_on_b, gid, "exactly once", clientId="retry-xw")
    assert again == first
    assert (await leader_on_a.next("message:new"))["message"] == first
    await leader_on_a.quiet("message:new")
    history = await rest.call("GET", f"{b.url}/api/chat/{gid}/messages", leader)
    assert [m["id"] for m in history["messages"]] == [first["id"]]


async def test_presence_and_typing_across_workers(workers, rest, worker_sockets) -> None:
    a, b = workers
    leader, member = await rest.register(a), await rest.register(a)
    gid = await rest.group(a, leader)
    await rest.join(a, gid, member)
    lid, uid = leader["user"]["id"], member["user"]["id"]
    leader_on_a = await worker_sockets(a, leader)
    assert await leader_on_a.next("presence") == {"groupId": gid, "userId": lid, "online": True}

    member_on_b = await worker_sockets(b, member)
    assert await leader_on_a.next("presence") == {"groupId": gid, "userId": uid, "online": True}
    member_on_a = await worker_sockets(a, member)  # a second socket: no new presence event
    await leader_on_a.quiet("presence")
    online = await leader_on_a.ok("presence:list", {"groupId": gid})
    assert sorted(online["online"]) == sorted([lid, uid])
    online = await member_on_b.ok("presence:list", {"groupId": gid})
    assert sorted(online["online"]) == sorted([lid, uid])

    await member_on_b.ok("typing", {"groupId": gid, "isTyping": True})
    assert (await leader_on_a.next("typing"))["userId"] == uid
    await member_on_a.quiet("typing", 0)  # the typist's other socket, on the other worker

    await member_on_b.close()
    await leader_on_a.quiet("presence", QUIET)
    await member_on_a.close()
    assert await leader_on_a.next("presence") == {"groupId": gid, "userId": uid, "online": False}
    assert (await leader_on_a.ok("presence:list", {"groupId": gid}))["online"] == [lid]
