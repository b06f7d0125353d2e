"""Adversarial families (see `families.py`) solved with the library defaults: rounds, time, memory, certificate.

Usage::

    python benchmarks/adversarial.py                       # every family at its default sizes
    python benchmarks/adversarial.py --family identical --sizes 1200 --out /tmp/adv

Each case runs in its own subprocess (peak RSS belongs to it). Up to 3,000
a side the dense optimum is computed too, in the same subprocess after the
timed solve, and compared in integer units. Results: ``results/adversarial.md``
and ``.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SIZES = {
    "hot_topic": (1000, 10_000, 32_900),
    "identical": (1200, 10_000, 32_900),
    "popular_group": (1000, 10_000, 32_900),
    "uniform": (1000, 3000, 10_000),  # an n x n float64 matrix is the input itself
}
DENSE_CHECK_MAX = 3000


def run_case(name: str, n: int) -> dict:
    sys.path.insert(0, str(HERE))
    from families import family
    from pairmatch import SolveParams, solve

    problem = family(name, n)
    load = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    result = solve(problem)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cert = result.certificate
    record = {
        "family": name,
        "n": n,
        "time_s": elapsed,
        "peak_rss_mib": peak,
        "status": result.status,
        "method": cert.get("method"),
        "end": cert.get("end"),
        "rounds": cert.get("rounds"),
        "arcs": cert.get("candidate_arcs"),
        "certified": cert.get("certified_over_all_pairs"),
        "scored_exactly": cert.get("pairs_scored_exactly"),
        "pairs_total": cert.get("pairs_total"),
        "profiles": [cert.get("mentor_profiles"), cert.get("mentee_profiles")],
        "switched_from": cert.get("switched_from"),
        "objective": cert.get("integer_objective"),
        "load": [load, round(os.getloadavg()[0], 2)],
    }
    if n <= DENSE_CHECK_MAX:
        dense = solve(problem, SolveParams(method="dense"))
        record["dense_agrees"] = dense.certificate["integer_objective"] == cert.get("integer_objective")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--sizes", type=int, nargs="+", help="override every family's sizes")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_case(args.worker[0], int(args.worker[1]))), flush=True)
        return 0
    sys.path.insert(0, str(HERE))
    from run import git_state

    commit, dirty = git_state()
    records = []
    for name in args.family:
        for n in args.sizes or SIZES[name]:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, str(n)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
                record = (
                    json.loads(lines[-1]) if lines else {"family": name, "n": n, "error": proc.stderr.strip()[-300:]}
                )
            except subprocess.TimeoutExpired:
                record = {"family": name, "n": n, "error": f"timeout after {args.timeout:.0f} s"}
            records.append(record)
            print(json.dumps(record), flush=True)
            write(records, args.out, commit + (" (uncommitted changes)" if dirty else ""))
    return 0


def write(records: list[dict], out: Path, commit: str) -> None:
    lines = [
        "# Adversarial families, library defaults",
        "",
        f"- commit {commit}; families from `benchmarks/families.py`; time = `solve()` (generation excluded)",
        "",
        "| family | n a side | method | end | rounds | time (s) | peak RSS (MiB) | status | certified over all "
        "pairs | scored exactly / total | dense agrees | load | note |",
        "|---|---:|---|---|---:|---:|---:|---|---|---|---|---|---|",
    ]
    for r in records:
        if "error" in r:
            lines.append(f"| {r['family']} | {r['n']:,} | - | - | - | - | - | - | - | - | - | - | {r['error']} |")
            continue
        note = []
        if r.get("switched_from"):
            note.append(f"switched from {r['switched_from']}")
        if r["method"] == "profiles":
            note.append(f"{r['profiles'][0]:,} x {r['profiles'][1]:,} profiles")
        scored = f"{r['scored_exactly']:,} / {r['pairs_total']:,}" if r.get("scored_exactly") is not None else "-"
        lines.append(
            f"| {r['family']} | {r['n']:,} | {r['method']} | {r.get('end') or '-'} | "
            f"{r.get('rounds') or '-'} | {r['time_s']:.2f} | {r['peak_rss_mib']:.0f} | {r['status']} | "
            f"{r['certified']} | {scored} | {r.get('dense_agrees', '-')} | "
            f"{'-'.join(map(str, r['load']))} | {'; '.join(note)} |"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "adversarial.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "adversarial.json").write_text(
        json.dumps({"commit": commit, "records": records}, indent=1), encoding="utf-8"
    )


if __name__ == "__main__":
    sys.exit(main())
