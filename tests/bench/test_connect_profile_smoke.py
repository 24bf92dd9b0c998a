"""bench/connect_profile.py stays runnable (no thresholds): a tiny storm and idle window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import require_service

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis]


def test_connect_profile_smoke() -> None:
    require_service("Redis", "127.0.0.1", 6379)
    result = subprocess.run(
        [sys.executable, "bench/connect_profile.py", "--count", "40", "--idle", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "40 connects in" in result.stdout and "idle:" in result.stdout, result.stdout
