"""A real SMTP server (aiosmtpd) on a loopback port, recording what it receives."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class LoopbackController(Controller):
    """aiosmtpd 1.4's Controller cannot start on port 0 (its start-up self-check connects to the
    configured port): learn the real port from the listening socket before that check."""

    def __init__(self, handler: Any, port: int = 0, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    """Refuses the first `failures` mails at DATA with `code` (all of them if failures < 0)."""

    def __init__(self, failures: int = 0, code: str = "451 4.3.0 Try again later") -> None:
        self.failures = failures
        self.code = code
        self.attempts = 0
        self.received: list[Envelope] = []
        self.logins: list[str] = []
        self.delay = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures != 0:
            self.failures -= 1 if self.failures > 0 else 0
            return self.code
        self.received.append(envelope)
        return "250 OK"

    def authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"p@ss:word"
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
