"""Private MariaDB and Redis instances on their own ports and data dirs, for fault tests.

They are started, stopped and killed freely; the shared services on 3306/6379 are never touched.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

import pytest

from tests.processes import free_port
from tests.services import IN_CI, port_open


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def require_binary(name: str) -> str:
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is required for the fault tests (CI=true)", pytrace=False)
    pytest.skip(f"NOTICE: {name} not installed; skipping fault test")


class PrivateProcess(ABC):
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def command(self) -> list[str]:
        """The server's command line."""

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait(lambda: port_open("127.0.0.1", self.port), f"port {self.port}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        _wait(lambda: not port_open("127.0.0.1", self.port), f"port {self.port} to close")


class PrivateRedis(PrivateProcess):
    def __init__(self) -> None:
        super().__init__(free_port())
        self.binary = require_binary("redis-server")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]


class PrivateMariaDB(PrivateProcess):
    def __init__(self, root: Path) -> None:
        super().__init__(free_port())
        self.binary = require_binary("mariadbd")
        self.root = root
        self.datadir = root / "data"
        subprocess.run(
            [
                require_binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def url(self, database: str) -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def command(self) -> list[str]:
        return [
            self.binary,
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--user=root",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.root / 'mysqld.sock'}",
            f"--pid-file={self.root / 'mysqld.pid'}",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
        ]

    def create_database(self, name: str) -> str:
        subprocess.run(
            [
                "mysql",
                "-uroot",
                "-h127.0.0.1",
                f"-P{self.port}",
                "-e",
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            ],
            check=True,
            capture_output=True,
        )
        return self.url(name)
