"""The certified sparse solve with its O(n^2) chunks on a Dask cluster, against the same solve in-process.

Usage::

    python benchmarks/dask_run.py --n 10000 --workers 2

Starts a ``distributed.LocalCluster`` (worker processes, one thread each),
solves ``synthetic_problem(n, seed=0)`` with the library defaults through
``ChunkRunner.dask(client)`` and without an executor (two threads), and
prints both times and whether the results are identical (pairs and
certificate). Problem generation and cluster start-up are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    import distributed

    from pairmatch import solve, synthetic_problem
    from pairmatch.scoring import ChunkRunner

    problem = synthetic_problem(args.n, seed=0)
    load = [round(os.getloadavg()[0], 2)]
    started = time.perf_counter()
    local = solve(problem)
    local_s = time.perf_counter() - started
    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runner = ChunkRunner.dask(client)
        started = time.perf_counter()
        remote = solve(problem, executor=runner)
        dask_s = time.perf_counter() - started
    load.append(round(os.getloadavg()[0], 2))
    same = local.to_json(include_runtime=False) == remote.to_json(include_runtime=False)
    print(
        json.dumps(
            {
                "n": args.n,
                "workers": args.workers,
                "in_process_s": round(local_s, 2),
                "dask_s": round(dask_s, 2),
                "identical": same,
                "method": remote.certificate["method"],
                "certified_over_all_pairs": remote.certificate["certified_over_all_pairs"],
                "dask_timings": {k: round(v, 2) for k, v in remote.timings.items()},
                "load": load,
            }
        )
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
