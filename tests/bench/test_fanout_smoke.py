"""The realtime benchmarks stay runnable: bench/fanout.py and bench/connections.py at tiny sizes.

No performance thresholds; only that every server ran and (for fan-out) that no delivery was lost
or duplicated. Node.js is required when CI=true, like MariaDB and Redis."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import IN_CI, MARIADB_HOST, MARIADB_PORT, require_service

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.mariadb]


@pytest.fixture
def services() -> None:
    require_service("Redis", "127.0.0.1", 6379)
    require_service("MariaDB", MARIADB_HOST, MARIADB_PORT)
    if shutil.which("node") is None or shutil.which("npm") is None:
        if IN_CI:
            pytest.fail("node and npm are required when CI=true", pytrace=False)
        pytest.skip("NOTICE: node/npm not installed; skipping (CI=true makes this a failure)")


def run(script: str, out: Path) -> dict:
    result = subprocess.run(
        [sys.executable, script, "--smoke", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text())["results"]


def test_fanout_smoke(services: None, tmp_path: Path) -> None:
    results = run("bench/fanout.py", tmp_path / "fanout.json")
    assert set(results) == {"ours", "bare", "node"}
    for server, scenarios in results.items():
        for scenario in scenarios.values():
            for phase in ("fixed", "saturate"):
                measured = scenario[phase]
                assert measured["sent"] > 0 and measured["send_errors"] == 0, (server, measured)
                assert measured["lost"] == 0 and measured["duplicated"] == 0, (server, measured)
                assert measured["deliveries"] > 0


def test_connections_smoke(services: None, tmp_path: Path) -> None:
    results = run("bench/connections.py", tmp_path / "connections.json")
    assert set(results) == {"ours", "node"}
    for measured in results.values():
        assert measured["connections"] == 200
        assert measured["rss_after_mb"] > 0 and measured["connect_per_s"] > 0
