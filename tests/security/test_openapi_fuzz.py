"""Schemathesis over every operation in /api/openapi.json, authenticated with a real token,
against a real server process: no 5xx and no response that breaks its declared schema.

Generic over the document, so routes added later are covered when the test runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conftest import TEST_SECRET
from tests.helpers import profile
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
# These invalidate the token they are called with, so each call gets a fresh account's token.
REVOKING = {"/api/auth/logout", "/api/auth/logout-all"}


class Server:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = directory / "config.toml"
        config.write_text(
            f'database_url = "sqlite+aiosqlite:///{directory}/api.db"\n'
            'redis_url = ""\nbcrypt_rounds = 4\n[matching]\nembedder = "hashing"\n'
        )
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env["JWT_SECRET_KEY"] = TEST_SECRET
        self.log = directory / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "server.py", "serve", "--port", str(self.port)]
                + ["--config", str(config)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError("server did not come up")
        self.token = self.fresh_token()
        self.session = requests.Session()  # keep-alive across the thousands of calls

    def fresh_token(self) -> str:
        # Not a login: schemathesis's bad logins trip the per-address login throttle.
        answer = requests.post(f"{self.url}/api/auth/register", json=profile(), timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def stop(self) -> None:
        self.session.close()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("openapi"))
    try:
        yield running
    finally:
        running.stop()


def _document() -> dict[str, Any]:
    """The same document the server serves, built from the route tables at collection time
    (so each operation becomes its own test item)."""
    from api.openapi import build_document
    from api.routing import ENDPOINTS
    from app import create_app
    from tests.conftest import settings_for

    app = create_app(settings_for("sqlite+aiosqlite:///:memory:"))
    return build_document(app[ENDPOINTS])


schema = schemathesis.openapi.from_dict(_document())


def test_served_document_is_the_one_tested(server: Server) -> None:
    served = requests.get(f"{server.url}/api/openapi.json", timeout=10).json()
    assert served == _document()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_without_5xx_or_schema_violations(case: Any, server: Server) -> None:
    token = server.fresh_token() if case.path in REVOKING else server.token
    case.call_and_validate(
        base_url=server.url,
        session=server.session,
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
