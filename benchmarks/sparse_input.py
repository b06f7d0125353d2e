"""Sparse input through the public API: a minimum-cost assignment on a listed set of pairs.

The instance has the shape of OR-Library's sparse assignment problems
(``assignp5000``: 5,000 a side, integer costs, each row a few dozen arcs):
seeded random arcs per row, a hidden perfect matching so a full assignment
exists, integer costs 1..100. Methods, timed on the same arcs in one process
(best of ``--repeat``; the instance is built once, not timed):

``pairmatch``
    ``Problem.from_arcs(..., minimise=True)`` and ``solve()`` with the defaults:
    the public path, from arrays to a certified `MatchResult`.
``ortools_lsa``
    OR-Tools ``SimpleLinearSumAssignment`` on the arcs: the solver alone.
``scipy_sparse``
    ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` on the arcs.
``scipy_dense``
    ``scipy.optimize.linear_sum_assignment`` on the dense cost matrix
    (unlisted pairs at a cost above any assignment), matrix built in the timing.

Every method's total cost must equal pairmatch's. Usage::

    python benchmarks/sparse_input.py                 # n = 5,000, 20 arcs a row
    python benchmarks/sparse_input.py --n 800 --arcs 10 --out /tmp/x
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def instance(n: int, arcs: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, costs)``: ``arcs`` distinct mentees per mentor, one of them a hidden
    perfect matching's, integer costs 1..100."""
    rng = np.random.default_rng(seed)
    hidden = rng.permutation(n)
    cols = np.empty((n, arcs), dtype=np.int64)
    cols[:, 0] = hidden
    for i in range(n):
        others = rng.choice(n - 1, arcs - 1, replace=False)
        cols[i, 1:] = others + (others >= hidden[i])  # skip the hidden partner: no pair twice
    rows = np.repeat(np.arange(n, dtype=np.int64), arcs)
    costs = rng.integers(1, 101, n * arcs).astype(np.float64)
    return rows, cols.ravel(), costs


def run_pairmatch(n: int, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> tuple[float, dict[str, Any]]:
    import pairmatch as pm

    mentors, mentees = [f"M{i}" for i in range(n)], [f"E{j}" for j in range(n)]
    problem = pm.Problem.from_arcs(mentors, mentees, rows, cols, costs, minimise=True)
    result = pm.solve(problem)
    total = len(result.pairs) * float(costs.max()) - result.objective
    return total, {
        "status": result.status,
        "path": result.certificate["method"],
        "certified": result.certificate["certified_over_all_pairs"],
    }


def run_ortools(n: int, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> tuple[float, dict[str, Any]]:
    from ortools.graph.python import linear_sum_assignment

    lsa = linear_sum_assignment.SimpleLinearSumAssignment()
    lsa.add_arcs_with_cost(rows, cols, costs.astype(np.int64))
    status = lsa.solve()
    assert status == lsa.OPTIMAL, status
    return float(lsa.optimal_cost()), {}


def run_scipy_sparse(n: int, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> tuple[float, dict[str, Any]]:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    r, c = min_weight_full_bipartite_matching(csr_matrix((costs, (rows, cols)), shape=(n, n)))
    lookup = dict(zip((rows * n + cols).tolist(), costs.tolist(), strict=True))
    return float(sum(lookup[k] for k in (r * n + c).tolist())), {}


def run_scipy_dense(n: int, rows: np.ndarray, cols: np.ndarray, costs: np.ndarray) -> tuple[float, dict[str, Any]]:
    from scipy.optimize import linear_sum_assignment

    dense = np.full((n, n), float(costs.sum()) + 1.0)  # an unlisted pair costs more than any assignment
    dense[rows, cols] = costs
    r, c = linear_sum_assignment(dense)
    return float(dense[r, c].sum()), {}


METHODS = {
    "pairmatch": run_pairmatch,
    "ortools_lsa": run_ortools,
    "scipy_sparse": run_scipy_sparse,
    "scipy_dense": run_scipy_dense,
}


def commit() -> tuple[str, bool]:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=HERE)
    return head.stdout.strip() or "unknown", bool(dirty.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--arcs", type=int, default=20, help="listed pairs per mentor")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--allow-dirty", action="store_true")
    args = parser.parse_args(argv)
    head, dirty = commit()
    if dirty and not args.allow_dirty:
        print("uncommitted changes: commit first, or pass --allow-dirty", file=sys.stderr)
        return 2
    rows, cols, costs = instance(args.n, args.arcs, args.seed)
    for run in METHODS.values():  # imports and first-call costs out of the timings
        run(8, *instance(8, 3, 1))
    results = {}
    for name, run in METHODS.items():
        best, total, extra = float("inf"), 0.0, {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            total, extra = run(args.n, rows, cols, costs)
            best = min(best, time.perf_counter() - started)
        results[name] = {"seconds": best, "cost": total, **extra}
        print(f"{name:13s} {best:8.3f} s  cost {total:,.0f}", flush=True)
    mine = results["pairmatch"]
    for name, found in results.items():
        if found["cost"] != mine["cost"]:
            print(f"{name} found cost {found['cost']}, pairmatch {mine['cost']}", file=sys.stderr)
            return 1
    lines = [
        f"# Sparse input: {args.n:,} a side, {args.arcs} listed pairs a mentor ({args.n * args.arcs:,} arcs), "
        f"integer costs 1-100, seed {args.seed}",
        "",
        f"Commit {head}{' (uncommitted changes)' if dirty else ''}; best of {args.repeat}; "
        f"every method found the minimum cost {mine['cost']:,.0f}; pairmatch: {mine['status']}, "
        f"{mine['path']} path, certified over all pairs: {mine['certified']}.",
        "",
        "| method | seconds | vs ortools_lsa | vs pairmatch |",
        "|---|---:|---:|---:|",
    ]
    base = results["ortools_lsa"]["seconds"]
    for name, found in results.items():
        lines.append(
            f"| {name} | {found['seconds']:.3f} | {found['seconds'] / base:.2f}x | "
            f"{found['seconds'] / mine['seconds']:.2f}x |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sparse_input.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out / "sparse_input.json").write_text(
        json.dumps({"commit": head, "dirty": dirty, "n": args.n, "arcs": args.arcs, "results": results}, indent=2),
        encoding="utf-8",
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
