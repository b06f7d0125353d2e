"""Benchmark pairmatch against dense peers on every family of the registry (`registry.py`).

One command runs everything and writes ``benchmarks/results/latest.md`` and
``latest.png``::

    python benchmarks/run.py                          # every family at 10,000 and 32,900 a side
    python benchmarks/run.py --smoke                  # every family, small, in-process (CI, < 60 s)
    python benchmarks/run.py --families rules --sizes 3000 10000

pairmatch always runs with the library's default parameters. Every
(case, method) pair runs in its own subprocess, so the reported peak memory
(``ru_maxrss``) belongs to that method alone (plus the problem objects, the
same for all methods); ``--smoke`` runs them in one process instead (no
memory figures). The dense peers (lapjv, scipy) solve the **same masked
scores** (`registry.peer_matrix`); a family they cannot express has
another exact peer: the full CP-SAT model for quotas (``cpsat_full``), a
fresh engine solve of the same cohort for the store (``fresh``).
Objectives are compared in the solver's integer units (`pairmatch.solver.Scaling`, summed over pairs), where
"agrees" means exactly equal to pairmatch's certified optimum. The run
records the git commit and refuses a tree with uncommitted changes unless
``--allow-dirty`` is given (then the table says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from registry import FAMILIES, SEED, Case, peer_matrix  # noqa: E402

RESULTS = HERE / "results"
RESOLUTION = 1_000_000
SQUARE = (100, 300, 1000, 3000, 10_000, 32_900)
MANY = "3000x1000c3"  # 1,000 mentors taking 3 mentees each, 3,000 mentees
# Dense peers hold n x n float64 matrices; beyond this they need > 20 GiB here.
DENSE_MAX = 12_000
NETWORKX_MAX = 300
GREEDY_MAX = 3000
METHODS = ("pairmatch", "fresh", "cpsat_full", "scipy_lsa", "lapjv", "ortools_dense", "networkx", "greedy")
FRIENDLY_ONLY = ("ortools_dense", "networkx", "greedy")


def case_shape(case: str) -> tuple[int, int, int]:
    """``(n_mentors, n_mentees, mentor_capacity)`` of a case name such as ``"3000"`` or ``"3000x1000c3"``."""
    if "x" in case:
        mentees, rest = case.split("x")
        mentors, cap = rest.split("c")
        return int(mentors), int(mentees), int(cap)
    return int(case), int(case), 1


def split_case(case: str) -> tuple[str, str]:
    """``(family, size)`` of a case name such as ``"rules:10000"`` (a bare size is the friendly family)."""
    family, _, size = case.rpartition(":")
    return family or "friendly", size


def build_case(case: str) -> Case:
    """The seeded instance, regenerated from its seed in every process (never loaded from a file)."""
    from pairmatch import synthetic_problem

    family, size = split_case(case)
    if family == "friendly" and "x" in size:
        m, n, cap = case_shape(size)
        return Case(synthetic_problem(m, n, seed=SEED, mentor_capacity=cap))
    return FAMILIES[family].build(int(size), SEED)


def integer_objective(problem, rows: np.ndarray, cols: np.ndarray) -> int:
    """The pairs' total in the solver's integer units (pairmatch's scaling policy), from
    each pair's exact float64 score (whatever precision the peer ranked them in)."""
    from pairmatch import SolveParams
    from pairmatch.scoring import Scorer
    from pairmatch.solver import scaling_for

    scorer = Scorer(problem)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    return int(scaling_for(scorer, SolveParams()).to_integer(scorer.pair_totals(rows, cols)).sum())


def dense_gain(problem) -> tuple[np.ndarray, int]:
    """Dense float32 scores (no rule) and the mentor capacity: the friendly-only peers."""
    from registry import dense_scores

    return dense_scores(problem), max(p.max_partners for p in problem.mentors)


def _import_peer(method: str) -> None:
    import importlib

    module = {"scipy_lsa": "scipy.optimize", "lapjv": "lap", "networkx": "networkx"}.get(method)
    if module:
        importlib.import_module(module)


def _pairmatch(case: Case, store: Any = None) -> tuple[Any, dict]:
    """pairmatch's public call with its defaults (or the family's objective): `solve`, `rematch`
    for a re-match family, or `ProgrammeStore.match` on ``store`` for a store family."""
    from pairmatch import solve

    if store is not None:
        run, result = store.match("benchmark", case.problem, case.params)
        return result, {"store_run": run.id}
    if case.rematch is None:
        result = solve(case.problem, case.params)  # the library's defaults, always (bar the family's objective)
        return result, {}
    from pairmatch.rematching import rematch

    args = case.rematch
    outcome = rematch(args["base"], args["current"], args["changes"], move_penalty=args["move_penalty"])
    return outcome.result, {"moved": outcome.moved}


def _peer(case: Case, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The chosen (mentor, mentee) rows and columns of a dense peer on the masked scores,
    pinned pairs included (their people were taken out of the peer's problem)."""
    gain, row_person, pinned = peer_matrix(case)
    if method == "scipy_lsa":
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(gain, maximize=True)
    else:
        import lap

        _, x, _ = lap.lapjv(-gain, extend_cost=True)
        rows = np.flatnonzero(x >= 0)
        cols = x[rows]
    keep = gain[rows, cols] > 0  # 0 = ruled out or worth nothing: never needed
    rows, cols = row_person[rows[keep]], cols[keep]
    if pinned:
        rows = np.r_[rows, [i for i, _ in pinned]]
        cols = np.r_[cols, [j for _, j in pinned]]
    return rows, cols


def _new_store(case: Case, method: str) -> tuple[Any, Path | None]:
    """A new programme store in a temporary folder when ``method`` runs ``case`` through the
    store (creating it is not part of the timing), else ``(None, None)``."""
    if not (case.store and method == "pairmatch"):
        return None, None
    from pairmatch.store import ProgrammeStore

    folder = Path(tempfile.mkdtemp(prefix="pairmatch-bench-"))
    return ProgrammeStore.init(folder / "programme.db"), folder


def run_method(case_name: str, method: str) -> dict:
    """Time one method on one case (in this process); returns a JSON-able record."""
    case = build_case(case_name)
    problem = case.problem
    _import_peer(method)  # imports are not part of the timing
    store, folder = _new_store(case, method)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    record: dict = {"case": case_name, "method": method, "shape": list(problem.shape)}
    if method in ("pairmatch", "fresh"):
        from pairmatch import solve

        try:
            result, extra = _pairmatch(case, store) if method == "pairmatch" else (solve(case.fresh, case.params), {})
            record["time_s"] = time.perf_counter() - started
        finally:
            if store is not None:
                store.close()
                shutil.rmtree(folder, ignore_errors=True)
        if store is not None:  # what the store adds to the solve: reading, recording
            extra["outside_solve_s"] = record["time_s"] - sum(result.timings.values())
        # A fresh solve of a re-match's cohort has no continuity bonus: its objective is another problem's.
        own = method == "pairmatch" or case.rematch is None
        record.update(
            objective=int(result.certificate["integer_objective"]) if own else None,
            pairs=result.n_pairs,
            status=result.status,
            solver=result.solver,
            timings=dict(result.timings),
            detail={
                **extra,
                **{
                    k: result.certificate.get(k)
                    for k in (
                        "method",
                        "end",
                        "rounds",
                        "candidate_arcs",
                        "pairs_scored_exactly",
                        "pairs_cleared_by_bound",
                        "pairs_total",
                        "certified_over_all_pairs",
                        "mentor_profiles",
                        "mentee_profiles",
                        "backend",
                        "arcs_in_model",
                        "arcs_total",
                    )
                },
            },
        )
    elif method == "cpsat_full":
        from pairmatch import SolveParams, solve

        peer = FAMILIES[split_case(case_name)[0]].exact_peer
        result = solve(problem, SolveParams(**(peer or {})))
        record["time_s"] = time.perf_counter() - started
        record.update(
            objective=int(result.certificate["integer_objective"]),
            pairs=result.n_pairs,
            status=result.status,
            solver=result.solver,
        )
    elif method in ("scipy_lsa", "lapjv"):
        rows, cols = _peer(case, method)
        record["time_s"] = time.perf_counter() - started
        record.update(objective=integer_objective(problem, rows, cols), pairs=len(rows))
    elif method == "ortools_dense":
        from pairmatch import SolveParams, solve

        result = solve(problem, SolveParams(method="dense"))
        record.update(
            objective=int(result.certificate["integer_objective"]), pairs=result.n_pairs, solver=result.solver
        )
    elif method == "networkx":
        import networkx as nx

        total, cap = dense_gain(problem)
        m, n = total.shape
        graph = nx.Graph()
        copies = [(i, c) for i in range(m) for c in range(cap)]
        for i, c in copies:
            for j in range(n):
                w = round(total[i, j] * RESOLUTION)
                if w > 0:
                    graph.add_edge(("m", i, c), ("e", j), weight=w)
        matching = nx.max_weight_matching(graph)
        pairs = [(a[1], b[1]) if a[0] == "m" else (b[1], a[1]) for a, b in matching]
        rows = np.array([p[0] for p in pairs], dtype=np.int64)
        cols = np.array([p[1] for p in pairs], dtype=np.int64)
        record["time_s"] = time.perf_counter() - started
        record.update(objective=integer_objective(problem, rows, cols), pairs=len(pairs))
    elif method == "greedy":
        total, cap = dense_gain(problem)
        m, n = total.shape
        order = np.argsort(-total, axis=None, kind="stable")
        load_m, used_e = np.zeros(m, dtype=np.int64), np.zeros(n, dtype=bool)
        rows, cols = [], []
        for flat in order.tolist():
            i, j = divmod(flat, n)
            if load_m[i] < cap and not used_e[j]:
                load_m[i] += 1
                used_e[j] = True
                rows.append(i)
                cols.append(j)
                if len(cols) == min(m * cap, n):
                    break
        record["time_s"] = time.perf_counter() - started
        record.update(objective=integer_objective(problem, np.array(rows), np.array(cols)), pairs=len(rows))
    else:
        raise ValueError(method)
    record.setdefault("time_s", time.perf_counter() - started)  # exact re-scoring of peers' pairs not timed
    record["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return record


def applicable(case: str, method: str, smoke: bool = False) -> bool:
    family, size = split_case(case)
    m, n, cap = case_shape(size)
    big = max(m * cap, n)
    if method == "fresh":
        return FAMILIES[family].fresh
    if method == "cpsat_full":
        return FAMILIES[family].exact_peer is not None and big <= FAMILIES[family].exact_peer_max
    if method in FRIENDLY_ONLY and family != "friendly":
        return False
    if method in ("scipy_lsa", "lapjv"):
        return FAMILIES[family].peers and int(big * 1.2) <= DENSE_MAX
    if smoke and method == "networkx":
        return big <= 100
    if method == "ortools_dense":
        return big <= DENSE_MAX
    if method == "networkx":
        return big <= NETWORKX_MAX
    if method == "greedy":
        return big <= GREEDY_MAX
    return True


def in_subprocess(case: str, method: str, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", case, method]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"case": case, "method": method, "error": f"timeout after {timeout:.0f} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        return {"case": case, "method": method, "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def environment() -> dict:
    def ver(name: str) -> str:
        if name == "pairmatch":  # published as pairmatch-mentoring; the module knows its version
            from pairmatch import __version__

            return __version__
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    commit, dirty = git_state()
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "machine": f"{cpu}, {os.cpu_count()} cores, {mem} RAM, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {n: ver(n) for n in ("pairmatch", "numpy", "scipy", "ortools", "networkx", "lap")},
        "commit": commit,
        "dirty": dirty,
        "seed": SEED,
        "defaults": default_params(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> tuple[str, bool]:
    """``(commit, dirty)``: the checked-out commit and whether tracked files differ from it
    (results written by this script do not count)."""
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE, check=False
            ).stdout.strip()
            or "unknown"
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)benchmarks/results"],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown", True
    return commit, bool(status)


def default_params() -> dict:
    from pairmatch import SolveParams

    p = SolveParams()
    return {"method": p.method, "candidates_per_person": p.candidates_per_person, "max_rounds": p.max_rounds}


def write_report(
    records: list[dict], env: dict, cases: list[str], name: str = "latest", results: Path = RESULTS
) -> None:
    results.mkdir(exist_ok=True)
    by = {(r["case"], r["method"]): r for r in records}
    lines = [
        "# pairmatch benchmark",
        "",
        f"- machine: {env['machine']}",
        f"- python {env['python']}; " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
        f"- git commit: {env['commit']}"
        + (" **(uncommitted changes: not a clean measurement)**" if env["dirty"] else " (clean tree)"),
        f"- instances: `synthetic_problem(n_mentors, n_mentees, seed={env['seed']}, mentor_capacity=c)`; "
        f"pairmatch with the library defaults {env['defaults']}",
        f"- load average at start: {env['load_at_start']} (2 cores shared: compare ratios within a run)",
        "- time: scoring + solving (+ certifying for pairmatch), problem generation excluded; peers score "
        "densely in float32 numpy; peak RSS of the subprocess that ran the method",
        "- objective: sum of round(score * scale) over the pairs (pairmatch's `Scaling`, exact float64 scores); "
        "*agrees* = equal to pairmatch's certified optimum",
        "",
        "| case (mentees x mentors, cap) | method | time (s) | vs pairmatch | peak RSS (MiB) | objective | agrees "
        "| load | note |",
        "|---|---|---:|---:|---:|---:|---|---|---|",
    ]
    for case in cases:
        ref = by.get((case, "pairmatch"), {})
        family, size = split_case(case)
        m, n, cap = case_shape(size)
        m, n = ref.get("shape", (m, n))
        label = f"{family}: {n:,} x {m:,}" + (f", cap {cap}" if cap > 1 else "")
        for method in METHODS:
            r = by.get((case, method))
            if r is None:
                continue
            if "error" in r:
                lines.append(f"| {label} | {method} | - | - | - | - | - | - | {r['error']} |")
                continue
            ratio = r["time_s"] / ref["time_s"] if ref.get("time_s") else float("nan")
            agrees = "-" if r["objective"] is None else "yes" if ref.get("objective") == r["objective"] else "no"
            note = ""
            if method == "greedy" and ref.get("objective"):
                note = f"gap {100 * (ref['objective'] - r['objective']) / ref['objective']:.2f}%"
            if method in ("pairmatch", "fresh"):
                d = r.get("detail") or {}
                note = f"{d.get('method') or 'dense'}"
                if d.get("method") == "sparse":
                    note += (
                        f", {d['end']} after {d['rounds']} rounds, {d['candidate_arcs']:,} arcs, "
                        f"{d['pairs_scored_exactly']:,} of {d['pairs_total']:,} pairs scored exactly in the "
                        "last check, the rest cleared by bound"
                    )
                elif d.get("method") == "profiles":
                    note += f", {d['mentor_profiles']:,} x {d['mentee_profiles']:,} profiles"
                elif d.get("backend") == "cpsat":
                    arcs = d.get("arcs_in_model")
                    note += ", CP-SAT" + (f" on {arcs:,} of {d['arcs_total']:,} arcs (LP-reduced)" if arcs else "")
                if "outside_solve_s" in d:
                    note += f", through the store: {d['outside_solve_s']:.2f} s outside the solve"
            if method == "cpsat_full":
                peer = FAMILIES[family].exact_peer or {}
                note = "SolveParams(" + ", ".join(f"{k}={v!r}" for k, v in peer.items()) + ")"
            if method in ("pairmatch", "fresh", "cpsat_full") and r.get("status") != "optimal":
                note += f", status {r.get('status')}"
            load = "-".join(f"{x:.1f}" for x in r.get("load", []))
            lines.append(
                f"| {label} | {method} | {r['time_s']:.2f} | {ratio:.1f}x | {r['peak_rss_mib']:.0f} | "
                f"{'-' if r['objective'] is None else format(r['objective'], ',')} | {agrees} | {load} | {note} |"
            )
    (results / f"{name}.md").write_text("\n".join(lines) + "\n")
    (results / f"{name}.json").write_text(json.dumps({"environment": env, "records": records}, indent=1))
    plot(records, results / f"{name}.png")


def plot(records: list[dict], path: Path) -> None:
    """Seconds per case for pairmatch and the dense peers (grouped bars, log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(r["case"] for r in records))
    shown = ("pairmatch", "fresh", "cpsat_full", "lapjv", "scipy_lsa")
    fig, ax = plt.subplots(figsize=(max(7, 0.7 * len(cases) + 2), 4.5))
    width = 0.8 / len(shown)
    for k, method in enumerate(shown):
        times = {r["case"]: r["time_s"] for r in records if r["method"] == method and "time_s" in r}
        xs = [c for c in range(len(cases)) if cases[c] in times]
        if xs:
            ax.bar([x + k * width for x in xs], [times[cases[x]] for x in xs], width, label=method)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(cases))], cases, rotation=60, ha="right", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("seconds (score + solve [+ certify])")
    ax.set_title("pairmatch vs dense peers on the same masked scores")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def select_cases(args: argparse.Namespace) -> list[str]:
    """``family:n`` cases: each family at its sizes (``--sizes`` overrides; the smoke run takes
    each family's small size), plus the friendly many-to-one case."""
    families = args.families or list(FAMILIES)
    cases = []
    for family in families:
        sizes = [FAMILIES[family].smoke] if args.smoke else (args.sizes or FAMILIES[family].sizes)
        cases += [f"{family}:{n}" for n in sizes]
    if "friendly" in families and not (args.no_many or args.smoke):
        cases.append(f"friendly:{MANY}")
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="sizes n a side (default: each family's own)")
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), help="families (default: all)")
    parser.add_argument("--smoke", action="store_true", help="every family, small, in one process (CI)")
    parser.add_argument("--no-many", action="store_true", help="skip the many-to-one case")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per method and case")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results (default: results/)")
    parser.add_argument(
        "--allow-dirty", action="store_true", help="measure a tree with uncommitted changes (marked in the results)"
    )
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_method(*args.worker)), flush=True)
        return 0
    commit, dirty = git_state()
    if dirty and not (args.allow_dirty or args.smoke):
        print(
            f"refusing to benchmark commit {commit} with uncommitted changes; commit them or pass "
            "--allow-dirty (the results will say so)",
            file=sys.stderr,
        )
        return 2
    cases = select_cases(args)
    env = environment()
    name = "smoke" if args.smoke else "latest"  # a CI smoke run never overwrites the full results
    records = []
    for case in cases:
        for method in METHODS:
            if not applicable(case, method, args.smoke):
                continue
            record = run_method(case, method) if args.smoke else in_subprocess(case, method, args.timeout)
            records.append(record)
            shown = f"{record['time_s']:.2f} s" if "time_s" in record else record.get("error")
            print(f"{case:>20} {method:<14} {shown}", flush=True)
            write_report(records, env, cases, name, args.out)  # partial results survive an interrupted run
    write_report(records, env, cases, name, args.out)
    print(f"wrote {args.out / (name + '.md')} and {args.out / (name + '.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
