"""CP-SAT with quotas on Met-shaped instances: time to proven optimality by worker count.

Two tables: one-to-one ``n x n`` instances under three quota sets by worker
count, and many-to-one share-quota instances (mentors taking 2 mentees each,
``n_mentors x 1.5 n_mentors`` up to 500 x 750) with the default worker count.

Usage::

    python benchmarks/cpsat_quota.py [--n 500] [--workers 1 2 8] [--time-limit 60] [--out benchmarks/results]
    python benchmarks/cpsat_quota.py --skip-square --many 250 500 --many-limit 300

Each case is solved in a fresh subprocess (so one case's memory or threads never affect the
next) and the table is written to ``cpsat_quota.md`` next to the other results. Instances come
from ``synthetic_problem(n, seed=7)``; the quota sets are listed in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUOTA_SETS = {
    "focus>=5, BCU share<=15%, every BCU": [
        {"side": "mentee", "key": "focus", "min_pairs": 5},
        {"side": "mentor", "key": "bcu", "max_share": 0.15},
        {"side": "mentor", "key": "bcu", "min_pairs": 1},
    ],
    "focus>=5, BCU share<=12%, every BCU": [
        {"side": "mentee", "key": "focus", "min_pairs": 5},
        {"side": "mentor", "key": "bcu", "max_share": 0.12},
        {"side": "mentor", "key": "bcu", "min_pairs": 1},
    ],
    "focus>=5, BCU share<=10%, every BCU (binding)": [
        {"side": "mentee", "key": "focus", "min_pairs": 5},
        {"side": "mentor", "key": "bcu", "max_share": 0.10},
        {"side": "mentor", "key": "bcu", "min_pairs": 1},
    ],
}

CASE = """
import json, sys, time
import pairmatch as pm
n, workers, limit, quotas, n_mentees, cap = json.loads(sys.argv[1])
problem = pm.synthetic_problem(n, n_mentees, seed=7, mentor_capacity=cap)
problem = problem.model_copy(update={"rules": pm.Rules(quotas=[pm.Quota(**q) for q in quotas])})
unconstrained = pm.solve(problem.model_copy(update={"rules": pm.Rules()})).objective
start = time.perf_counter()
try:
    params = pm.SolveParams(time_limit_s=limit) if workers is None else \
        pm.SolveParams(num_workers=workers, time_limit_s=limit)
    r = pm.solve(problem, params)
    out = {"time": time.perf_counter() - start, "status": r.status, "objective": r.objective,
           "gap": r.certificate.get("gap"), "arcs": r.certificate.get("arcs_in_model"),
           "solver": r.solver, "feasible": pm.is_feasible(r, problem), "unconstrained": unconstrained}
except pm.PairmatchError as err:
    out = {"time": time.perf_counter() - start, "status": "error: " + str(err).splitlines()[0][:80],
           "unconstrained": unconstrained}
print(json.dumps(out))
"""


MANY_QUOTAS = {
    "mentor BCU share<=10%, every BCU": [
        {"side": "mentor", "key": "bcu", "max_share": 0.10},
        {"side": "mentor", "key": "bcu", "min_pairs": 1},
    ],
    "mentee rank share<=40% (binding), mentor BCU share<=10%": [
        {"side": "mentee", "key": "rank", "max_share": 0.40},
        {"side": "mentor", "key": "bcu", "max_share": 0.10},
    ],
}


def run_case(
    n: int, workers: int | None, limit: float, quotas: list[dict], n_mentees: int | None = None, cap: int = 1
) -> dict:
    payload = [n, workers, limit, quotas, n_mentees or n, cap]
    proc = subprocess.run(
        [sys.executable, "-c", CASE, json.dumps(payload)], capture_output=True, text=True, timeout=limit * 4 + 120
    )
    if proc.returncode:
        return {"status": "crashed: " + proc.stderr.strip().splitlines()[-1][:80], "time": float("nan")}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 8])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--many",
        type=int,
        nargs="*",
        default=[250, 500],
        help="mentor counts of the many-to-one share-quota cases (mentees = 1.5x, capacity 2)",
    )
    parser.add_argument("--many-limit", type=float, default=300.0, help="time limit of the many-to-one cases")
    parser.add_argument("--skip-square", action="store_true", help="only the many-to-one cases")
    args = parser.parse_args(argv)
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
        ).stdout.strip()
        or "unknown"
    )
    import ortools

    lines = [
        f"# CP-SAT with quotas{'' if args.skip_square else f', {args.n} x {args.n}'}",
        "",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; python "
        f"{platform.python_version()}; ortools {ortools.__version__}; commit {commit}",
    ]
    if not args.skip_square:
        lines += [
            f"- instance: `synthetic_problem({args.n}, seed=7)`, max_score objective, time limit "
            f"{args.time_limit:g} s; time = scoring + LP reduction + CP-SAT",
            "",
            "| quotas | workers | time (s) | status | gap | arcs in CP-SAT model | objective | unconstrained optimum |",
            "|---|---:|---:|---|---:|---:|---:|---:|",
        ]
    for label, quotas in ({} if args.skip_square else QUOTA_SETS).items():
        for workers in args.workers:
            r = run_case(args.n, workers, args.time_limit, quotas)
            gap = "" if r.get("gap") is None else f"{r['gap']:.4%}"
            row = (
                f"| {label} | {workers} | {r['time']:.1f} | {r['status']} | {gap} | {r.get('arcs') or ''} | "
                f"{r.get('objective', float('nan')):.4f} | {r.get('unconstrained', float('nan')):.4f} |"
            )
            print(row, flush=True)
            lines.append(row)
    if args.many:
        lines += [
            "",
            f"## Many-to-one share quotas (`synthetic_problem(m, 1.5 m, seed=7, mentor_capacity=2)`, default "
            f"CP-SAT workers, time limit {args.many_limit:g} s; time = scoring + LP reduction + CP-SAT)",
            "",
            "| mentors x mentees | quotas | time to result (s) | status (optimal = proved) | gap | arcs in CP-SAT "
            "model | objective | unconstrained optimum |",
            "|---|---|---:|---|---:|---:|---:|---:|",
        ]
        for m in args.many:
            for label, quotas in MANY_QUOTAS.items():
                r = run_case(m, None, args.many_limit, quotas, n_mentees=m * 3 // 2, cap=2)
                gap = "" if r.get("gap") is None else f"{r['gap']:.4%}"
                row = (
                    f"| {m} x {m * 3 // 2} | {label} | {r['time']:.1f} | {r['status']} | {gap} | "
                    f"{r.get('arcs') or ''} | {r.get('objective', float('nan')):.4f} | "
                    f"{r.get('unconstrained', float('nan')):.4f} |"
                )
                print(row, flush=True)
                lines.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    # Only the many-to-one cases: their own file, so the worker-count table stays.
    target = args.out / ("cpsat_quota_many.md" if args.skip_square else "cpsat_quota.md")
    with tempfile.NamedTemporaryFile("w", dir=args.out, delete=False, suffix=".tmp") as tmp:
        tmp.write("\n".join(lines) + "\n")
    os.replace(tmp.name, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"done in {time.perf_counter() - started:.0f} s")
    raise SystemExit(code)
