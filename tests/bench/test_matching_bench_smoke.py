"""`bench/matching.py --smoke` keeps working (no timing thresholds: the cores are shared)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_matching_benchmark_smoke_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/matching.py", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "origin loop" in result.stdout and "| N | service p50 |" in result.stdout
    report = json.loads((tmp_path / "smoke" / "matching-latest.json").read_text())
    assert [row["n"] for row in report["rows"]] == [200, 1000]
    for row in report["rows"]:
        assert row["service_p50_ms"] > 0 and row["floor_ms"] > 0 and row["speedup"] > 0
        assert row["mean_results"] > 0  # the synthetic profiles do match each other
    assert report["meta"]["smoke"] is True
    assert (tmp_path / "smoke" / "matching.md").read_text().startswith("## Matching")
