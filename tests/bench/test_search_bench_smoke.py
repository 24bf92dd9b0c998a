"""`bench/search.py` keeps working at a tiny size on both engines (no timing thresholds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import MARIADB_HOST, MARIADB_PORT, require_service

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.mariadb
def test_search_benchmark_smoke_run(tmp_path: Path) -> None:
    require_service("MariaDB", MARIADB_HOST, MARIADB_PORT)
    out = tmp_path / "search.json"
    result = subprocess.run(
        [
            sys.executable,
            "bench/search.py",
            "--engine",
            "both",
            "--messages",
            "2000",
            "--queries",
            "16",
            "--scans",
            "2",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert [f["engine"] for f in figures] == ["sqlite", "mariadb"]
    for engine in figures:
        assert engine["messages"] == 2000 and engine["queries"] == 16
        assert engine["index_p50_ms"] > 0 and engine["scan_p50_ms"] > 0
        assert engine["mean_hits_per_page"] > 0  # the index answers (it is not empty)
        assert len(engine["index_p50_ms_by_kind"]) == 8  # every kind of query of the mix
