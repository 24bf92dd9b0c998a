"""LOG_FORMAT=json on a real server process with the real embedding model: every line of its
output is one JSON object with ts (ISO-8601 UTC, Z), level, logger, msg, request_id and user_id;
the request's id and user are on its lines; socket events are DEBUG lines with the event name
and the user id, never the payload; the model's loading progress bar is not in the log."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.faults.workers import Api, ChatClient
from tests.processes import start_server, stop_server

KEYS = {"ts", "level", "logger", "msg", "request_id", "user_id"}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SECRET_TEXT = "payload text that must stay out of the log"


def json_lines(log: Path) -> list[dict[str, Any]]:
    entries = []
    for line in log.read_text().splitlines():
        entry = json.loads(line)  # fails on any line that is not one JSON object
        assert isinstance(entry, dict) and set(entry) >= KEYS, line
        assert ISO_UTC.fullmatch(entry["ts"]), entry["ts"]
        entries.append(entry)
    return entries


async def wait_for_model(http: aiohttp.ClientSession, base: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with http.get(f"{base}/api/health") as response:
            state = (await response.json())["ai_model"]
        assert state != "failed"
        if state == "loaded":
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the model did not load")


async def test_json_logs_one_object_per_line_with_request_context(tmp_path: Path) -> None:
    env = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    process, base = start_server(tmp_path, env=env, embedder="sentence-transformers")
    log = tmp_path / "server.log"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_for_model(http, base)
            api = Api(http)
            leader, member = await api.register(base), await api.register(base)
            group_id = await api.group_with(base, leader, member)
            headers = {"Authorization": f"Bearer {leader['token']}", "X-Request-ID": "req-42"}
            async with http.get(f"{base}/api/auth/me", headers=headers) as response:
                assert response.status == 200
            chat = ChatClient("leader", leader["token"])
            await chat.connect(base)
            ack = await chat.call(
                "message:send", {"groupId": group_id, "content": SECRET_TEXT, "clientId": "j1"}
            )
            assert ack["ok"], ack
            await chat.close()
            await asyncio.sleep(0.3)
    finally:
        stop_server(process)

    text = log.read_text()
    assert "Loading weights" not in text and "it/s]" not in text  # no tqdm bar
    entries = json_lines(log)
    assert any(e["msg"].startswith("embedding model loaded") for e in entries)
    me = [e for e in entries if e["logger"] == "studysync.access" and "/api/auth/me" in e["msg"]]
    assert [(e["request_id"], e["user_id"]) for e in me] == [("req-42", str(leader["id"]))]
    events = [e for e in entries if e["msg"] == "socket event message:send"]
    assert [(e["level"], e["user_id"]) for e in events] == [("DEBUG", str(leader["id"]))]
    assert SECRET_TEXT not in text and leader["token"] not in text
