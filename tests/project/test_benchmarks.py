"""The benchmark's smoke run works end to end and every exact peer agrees with pairmatch."""

from __future__ import annotations

import subprocess
import sys

from support.benchmarks import ROOT, registry


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
        if line.startswith("| ") and " x " in line.split("|")[1] and line.split("|")[2].strip() != "method"
    ]
    methods = {cells[1].strip() for cells in rows}
    assert {"pairmatch", "scipy_lsa", "lapjv", "ortools_dense", "greedy", "fresh", "cpsat_full"} <= methods
    reg = registry()
    families = reg.FAMILIES
    # A fresh solve of a re-match's cohort solves another problem (no continuity bonus): no objective to agree on.
    other_problem = {name for name, f in families.items() if f.fresh and f.build(f.smoke, reg.SEED).rematch is not None}

    # Every family of the registry ran, and every exact peer found pairmatch's optimum on the
    # same masked scores (rules that leave people unmatched, pins, lower bounds, re-matches),
    # or on the same problem by another path (quotas: the full CP-SAT model; the store: a fresh
    # solve of the same cohort). pairmatch proved every optimum.
    assert {cells[0].split(":")[0].strip() for cells in rows} == set(families)
    agreeing: dict[str, set[str]] = {name: set() for name in families}
    for cells in rows:
        family = cells[0].split(":")[0].strip()
        method, objective, agrees, note = (cells[k].strip() for k in (1, 5, 6, 8))
        if method == "pairmatch":
            assert agrees == "yes", cells
            assert "status" not in note, cells
        elif method == "fresh" and family in other_problem:
            assert objective == agrees == "-", cells
        elif method != "greedy":
            assert agrees == "yes", cells
            agreeing[family].add(method)
    assert all(agreeing.values()), agreeing  # every family has at least one exact peer
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
