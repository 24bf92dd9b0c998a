"""A real server process and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_server_process import free_port, wait_until_serving
from tests.services import IN_CI

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("STUDYSYNC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(message: str) -> None:
    """In CI a missing browser fails the run; locally the test skips with a notice."""
    if IN_CI:
        pytest.fail(f"{message} (required when CI=true; scripts/test-setup.sh installs it)")
    pytest.skip(f"NOTICE: {message}; run scripts/test-setup.sh (CI=true makes this a failure)")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Per test: Playwright's sync API runs its own event loop, which must not outlive the
    test (pytest-asyncio's loops for the async tests would find it running)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    expect.set_options(timeout=15_000)  # the machines running the suite are shared and busy
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def start_server(tmp_path: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = port or free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path}/app.db"\n'
        f'jwt_secret_file = "{tmp_path}/secret"\nbcrypt_rounds = 4\n'
        '[matching]\nembedder = "hashing"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PORT"}}
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "server.py", "serve", "--port", str(port), "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_serving(process, port, log_path)
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """`python server.py serve` on a free port with a fresh SQLite database."""
    process, base = start_server(tmp_path)
    try:
        yield base
    finally:
        stop_server(process)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log
