"""Compatibility with the official JavaScript client (socket.io-client v4 from npm).

tests/realtime/js/client.mjs connects with a token, sends with an ack and waits for a broadcast
from another user, printing JSON lines that this test reads. scripts/test-setup.sh installs the
npm package; without node (or the package) the test fails when CI=true and skips otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_groups import create_group
from tests.helpers import register
from tests.realtime.conftest import WAIT, base_url
from tests.services import IN_CI

pytestmark = pytest.mark.one_backend
JS_DIR = Path(__file__).resolve().parent / "js"
NODE_TIMEOUT = 30.0


def node_binary() -> str:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        message = (
            "node is not installed"
            if node is None
            else "tests/realtime/js has no socket.io-client (run scripts/test-setup.sh)"
        )
        if IN_CI:
            pytest.fail(f"{message} (required when CI=true)", pytrace=False)
        pytest.skip(f"NOTICE: {message}; skipping the JavaScript client test")
    return node


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, event: str) -> dict[str, Any]:
        """The next printed line; it must be `event`."""
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), NODE_TIMEOUT)
        if not raw:
            stderr = await self.process.stderr.read() if self.process.stderr else b""
            raise AssertionError(f"node exited before {event!r}: {stderr.decode()[-2000:]}")
        data = json.loads(raw)
        assert data["event"] == event, data
        return data

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.process.wait(), NODE_TIMEOUT)


@contextlib.asynccontextmanager
async def node_client(*args: str) -> AsyncIterator[NodeClient]:
    process = await asyncio.create_subprocess_exec(
        node_binary(),
        str(JS_DIR / "client.mjs"),
        *args,
        cwd=JS_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield NodeClient(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize("transports", ["websocket", "polling", "polling,websocket"])
async def test_js_client_sends_with_ack_and_receives_a_broadcast(
    client, sockets, transports
) -> None:
    node_binary()
    js_user, py_user = await register(client), await register(client)
    gid = (await create_group(client, js_user))["id"]
    await client.post(f"/api/groups/{gid}/join", headers=py_user["headers"])
    py_sock = await sockets(py_user["token"])

    async with node_client(base_url(client), js_user["token"], str(gid), transports) as js:
        connected = await js.line("connected")
        assert connected["transport"] in transports.split(",")  # the default upgrades
        bad = (await js.line("badPayload"))["ack"]
        assert bad["ok"] is False and bad["error"]["code"] == "invalid_input"
        ack = (await js.line("ack"))["ack"]
        assert ack["ok"] is True
        message = ack["message"]
        assert message["content"] == "hello from node" and message["clientId"] == "js-1"
        assert message["userId"] == js_user["user"]["id"] and message["groupId"] == gid
        assert await py_sock.next("message:new", WAIT) == {"message": message}

        reply = await py_sock.ok("message:send", {"groupId": gid, "content": "hi node"})
        broadcast = await js.line("broadcast")
        assert broadcast["message"] == reply["message"]
        assert broadcast["transport"] == ("polling" if transports == "polling" else "websocket")
        assert await js.exit_code() == 0


async def test_js_client_sees_the_unauthorized_code_on_a_bad_token(client) -> None:
    node_binary()
    async with node_client(base_url(client), "not-a-token", "1") as js:
        refused = await js.line("connect_error")
        assert refused["data"]["code"] == "unauthorized", refused
        assert await js.exit_code() == 1
