"""Time stable matching (deferred acceptance) and the blocking-pair check on seeded random scores.

Usage::

    python benchmarks/stable.py                  # n = 1,000, 3,000, 10,000 and 3,334 x 10,000 (capacity 3)
    python benchmarks/stable.py --sizes 1000     # square sizes only, no many-to-one case
    python benchmarks/stable.py --own-views      # mentees rank by a second, independent score matrix

Scores are ``numpy.random.default_rng(seed).random((m, n), dtype=float32)``;
the "tied" variant rounds them to multiples of 0.05 (21 levels, so every
person has hundreds of ties). Each case is timed once, in this process, and
printed as a Markdown table: rounds and proposals of deferred acceptance for
each proposing side, seconds, and the number of blocking pairs found (0 for
a stable matching). With one shared score matrix the stable matching is
unique, so the column "same" (both proposers returned the same pairs) must
read "yes"; with ``--own-views`` it usually reads "no".
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

from pairmatch.solver.stable import blocking_pairs, deferred_acceptance

HERE = Path(__file__).resolve().parent
SEED = 0
SQUARE = (1_000, 3_000, 10_000)
MANY = (3_334, 10_000, 3)  # mentors, mentees, places per mentor


def scores(m: int, n: int, seed: int, tied: bool) -> np.ndarray:
    s = np.random.default_rng(seed).random((m, n), dtype=np.float32)
    if tied:
        s = np.round(s / np.float32(0.05)).astype(np.float32) * np.float32(0.05)
    return s


def environment() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    cpu = platform.processor() or platform.machine()
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}; "
        f"commit {commit}; seed {SEED}"
    )


def run_case(m: int, n: int, cap: int, tied: bool, own_views: bool) -> list[str]:
    s = scores(m, n, SEED, tied)
    theirs = scores(m, n, SEED + 1, tied) if own_views else None
    mentor_cap = np.full(m, cap)
    rows = []
    results = {}
    for proposer in ("mentor", "mentee"):
        start = time.perf_counter()
        result = deferred_acceptance(s, None, mentor_cap, None, proposer=proposer, mentee_scores=theirs)
        da_s = time.perf_counter() - start
        start = time.perf_counter()
        b_rows, _ = blocking_pairs(s, None, mentor_cap, None, result.rows, result.cols, mentee_scores=theirs)
        check_s = time.perf_counter() - start
        results[proposer] = result
        rows.append(
            [
                f"{m:,} x {n:,}",
                str(cap),
                "tied (0.05)" if tied else "uniform",
                proposer,
                f"{len(result):,}",
                f"{result.rounds:,}",
                f"{result.proposals:,}",
                f"{da_s:.2f}",
                f"{check_s:.2f}",
                str(len(b_rows)),
            ]
        )
    same = all(np.array_equal(getattr(results["mentor"], k), getattr(results["mentee"], k)) for k in ("rows", "cols"))
    for row in rows:
        row.append("yes" if same else "no")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=None,
        help="square sizes (default: 1,000 3,000 10,000 plus the many-to-one case)",
    )
    parser.add_argument("--own-views", action="store_true", help="mentees rank by an independent score matrix")
    args = parser.parse_args()
    cases = [(n, n, 1) for n in (args.sizes or SQUARE)]
    if args.sizes is None:
        cases.append(MANY)

    header = [
        "mentors x mentees",
        "mentor places",
        "scores",
        "proposer",
        "pairs",
        "rounds",
        "proposals",
        "deferred acceptance (s)",
        "blocking_pairs (s)",
        "blocking",
        "same",
    ]
    print(f"Stable matching, {'own mentee views' if args.own_views else 'shared scores'}: {environment()}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for m, n, cap in cases:
        for tied in (False, True):
            for row in run_case(m, n, cap, tied, args.own_views):
                print("| " + " | ".join(row) + " |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"\nPeak resident memory of the whole run: {peak:.2f} GiB (the largest score matrix alone is "
        f"{max(m * n for m, n, _ in cases) * 4 / 2**30:.2f} GiB)."
    )


if __name__ == "__main__":
    main()
