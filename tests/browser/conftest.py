"""A real server process and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import start_server, stop_server
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
