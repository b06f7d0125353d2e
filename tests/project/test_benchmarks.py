"""The benchmark's smoke run works end to end and every exact peer agrees with pairmatch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke_run_agrees_with_every_exact_peer(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = (tmp_path / "smoke.md").read_text(encoding="utf-8")
    rows = [
        line.split("|")[1:-1]
        for line in table.splitlines()
        if line.startswith("| ") and " x " in line.split("|")[1] and "method" not in line
    ]
    methods = {cells[1].strip() for cells in rows}
    assert {"pairmatch", "scipy_lsa", "lapjv", "ortools_dense", "greedy", "fresh"} <= methods
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from registry import FAMILIES

    # Every family of the registry ran, and every exact peer found pairmatch's optimum on the
    # same masked scores (rules that leave people unmatched, pins, lower bounds, re-matches).
    assert {cells[0].split(":")[0].strip() for cells in rows} == set(FAMILIES)
    for cells in rows:
        method, agrees = cells[1].strip(), cells[6].strip()
        if method not in ("greedy", "fresh"):
            assert agrees == "yes", cells
    assert (tmp_path / "smoke.png").stat().st_size > 1000


def test_adversarial_script_reports_certified_results(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "adversarial.py"),
            "--family",
            "identical",
            "hot_topic",
            "uniform",
            "--sizes",
            "80",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [
        line.split("|")[1:-1]
        for line in (tmp_path / "adversarial.md").read_text().splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() in ("identical", "hot_topic", "uniform")
    ]
    assert len(rows) == 3
    for cells in rows:
        certified, agrees = cells[8].strip(), cells[10].strip()
        assert certified == "True", cells
        assert agrees == "True", cells


def test_end_to_end_script_runs_the_command_and_the_stages(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "e2e.py"),
            "--sizes",
            "120",
            "--formats",
            "csv",
            "--family",
            "friendly",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    (record,) = json.loads((tmp_path / "e2e.json").read_text())["records"]
    assert record["command"]["returncode"] == 0, record["command"]
    assert record["stages"]["pairs"] == 120
    assert record["stages"]["status"] == "optimal"
    assert record["command"]["peak_rss_mib"] > 0
