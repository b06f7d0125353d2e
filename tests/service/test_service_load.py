"""The load test of the HTTP service runs end to end in its short form: no errors, no lost jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

ROOT = Path(__file__).resolve().parents[2]


def test_load_smoke_run_reports_throughput_latency_memory_and_loses_no_job(tmp_path):
    out = tmp_path / "load.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    record = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["errors"] == []
    assert record["jobs_lost"] == []
    assert record["server_errors_logged"] == 0
    assert record["jobs_done"] == record["jobs_submitted"] == 2
    assert record["small_rps"] > 0
    assert 0 < record["small_p50_ms"] <= record["small_p99_ms"]
    assert set(record["small_statuses"]) <= {"200", "503"}
    assert record["elapsed_s"] < 60
    if sys.platform.startswith("linux"):
        assert record["peak_pss_total_mb"] > record["peak_rss_service_mb"] > 10
    table = out.read_text(encoding="utf-8")
    assert "| small match requests |" in table
    assert "load average before" in table
