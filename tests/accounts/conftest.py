"""A real server process (SQLite or MariaDB) that mails through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.accounts_helpers import SmtpInbox
from tests.adapters.smtp_server import Inbox, LoopbackController
from tests.processes import start_server, stop_server

PUBLIC_URL = "https://study.example.edu"
PASSWORD = "correct horse battery"


@pytest.fixture
def smtp() -> Iterator[tuple[LoopbackController, Inbox]]:
    inbox = Inbox()
    controller = LoopbackController(inbox)
    controller.start()
    yield controller, inbox
    controller.stop()


@dataclass
class Server:
    base: str
    http: aiohttp.ClientSession
    mail: SmtpInbox
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    async def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.url(path), headers=headers, **kwargs) as r:
            if r.content_type == "application/json":
                return r.status, await r.json()
            return r.status, await r.text()

    async def register(self, email: str, name: str = "Ada") -> dict[str, Any]:
        body = {"name": name, "email": email, "password": PASSWORD}
        status, answer = await self.call("POST", "/api/auth/register", json=body)
        assert status == 201, answer
        return dict(answer)


@pytest.fixture
async def server(
    tmp_path: Path, database_url: str, smtp: tuple[LoopbackController, Inbox]
) -> AsyncIterator[Server]:
    controller, inbox = smtp
    env = {
        "DATABASE_URL": database_url,
        "SMTP_URL": f"smtp://127.0.0.1:{controller.port}",
        "PUBLIC_URL": PUBLIC_URL,
        "EMAIL_FROM": "StudySync <no-reply@study.example.edu>",
    }
    process, base = start_server(tmp_path, env=env)
    try:
        async with aiohttp.ClientSession() as http:
            yield Server(base, http, SmtpInbox(inbox), tmp_path / "server.log")
    finally:
        stop_server(process)
