"""Certified sparse solving: a small candidate graph, solved exactly, proved optimal over all pairs.

1. *Candidates.* Each mentor keeps its ``candidates_per_person`` best
   partners (times its capacity), found over all mentees through its type's
   focus and borough parts (`_certify.TypeScan.best`; on small problems or
   with hard rules, among a seeded sample), and each mentee its best mentors
   among a sample of the mentors; equal gains are broken by a per-pair code,
   so identical people pick different partners. Hard rules come from
   `RuleChecker.block` on each chunk.
2. *Solve* that graph with OR-Tools min-cost flow (`_flow.solve_flow`; linear sum
   assignment on its arcs when everyone must take exactly one partner).
3. *Certify.* Dual potentials of the optimal flow (`_certify.potentials`)
   give every pair a reduced cost ``gain + d_mentee - d_mentor``. One pass
   over *all* mentor x mentee pairs: one mentor type at a time, pairs are
   cleared by a bound over every mentee (`_certify.TypeScan`), the rest is
   scored exactly (small problems: every pair is scored). Allowed pairs left
   out with a positive reduced cost are added (each person's most violated
   few), arcs far from tight are dropped, and steps 2-3 repeat; when none
   is left, the potentials are a dual solution of the complete problem with
   the same value, so the answer is its optimum (not just the graph's).

If ``max_rounds`` pass without a certificate, the path says so: it switches
to the dense method when that fits ``dense_max_pairs`` (recorded in the
certificate) or returns its matching as ``feasible``.

Memory stays at a few chunks plus the candidate graph; the score table is
never held. Chunks run on the caller's executor (`ChunkRunner`), or on two
threads. Results carry on-demand views of the scores and the rule bits.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..constraints import lazy_candidates
from ..models import Problem
from ..objectives import BACKENDS, OBJECTIVES
from ..params import SolveParams
from ..scoring import ChunkRunner, LazyScores, Scorer
from ._certify import TypeBestState, TypeScan, TypeScanState, potentials, type_best_chunk, type_scan_chunk
from ._flow import solve_flow, solve_matching
from ._graph import ArcGraph, Solution, top_per_group, with_pinned
from ._space import EXCLUDED, PairSpace, ScanState, SelectState, not_in, scan_chunk, select_chunk, sorted_unique
from .contracts import Outcome, SolveContext
from .proofs import build_certificate
from .scaling import Scaling, check_range

__all__ = ["SPARSE_MIN_PAIRS", "SparseEnd", "solve_sparse", "why_not_sparse"]

# From benchmarks/: from about this many pairs the sparse path beats the dense one.
SPARSE_MIN_PAIRS = 1000 * 1000
CHUNK_CELLS = 1 << 20
SAMPLE_DIV = 4
SAMPLE_SPLITS = 32
FULL_SCAN_PAIRS = 25 * 1000 * 1000
NEAR_DIV = 16  # plain scans also return pairs within max_gain / NEAR_DIV of violating (measured: fewer rounds)
LATE_SHARE = 100  # fewer violations than (m + n) / LATE_SHARE: prune harder
SAMPLE_MAX = 2048


class SparseEnd(Exception):
    """The sparse path stopped without a certificate (the round budget ran out)."""

    def __init__(self, outcome: Outcome | None, rounds: int, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.rounds, self.reason = outcome, rounds, reason


def why_not_sparse(problem: Problem, params: SolveParams) -> str | None:
    """What keeps the certified sparse method from ``problem`` under ``params`` (None: nothing):
    it runs min-cost flow, so the objective and backend must allow it (`pairmatch.objectives`),
    and there may be no quotas."""
    if not OBJECTIVES[params.objective].sparse:
        return f"objective {params.objective!r}"
    if not BACKENDS[params.backend].flow_paths:
        return f"backend {params.backend!r}"
    if problem.rules.quotas:
        return "quotas"
    return None


def _thread_runner(runner: ChunkRunner | None) -> tuple[ThreadPoolExecutor | None, ChunkRunner]:
    """The caller's runner, or two threads (numpy releases the GIL in the chunk work)."""
    if runner is not None and runner.executor is not None:
        return None, runner
    workers = min(2, os.cpu_count() or 1)
    pool = ThreadPoolExecutor(workers)
    return pool, ChunkRunner(pool, workers=workers)


def solve_sparse(
    problem: Problem,
    params: SolveParams,
    scorer: Scorer,
    scaling: Scaling,
    runner: ChunkRunner | None = None,
    started: float | None = None,
) -> Outcome | None:
    """Solve ``problem`` by the certified sparse method, or return None when the
    dense method should run instead (unsupported objective or backend, an
    empty side, pins that break a rule or overfill someone, or a sparse graph
    that cannot meet the lower bounds, which the dense path diagnoses).

    Raises `SparseEnd` when the round budget runs out without a certificate.
    """
    started = time.perf_counter() if started is None else started
    if why_not_sparse(problem, params) is not None:
        return None
    m, n = problem.shape
    if m == 0 or n == 0:
        return None
    space = PairSpace(problem, scorer, scaling)
    if not space.pins_ok:
        return None
    pool, run = _thread_runner(runner)
    try:
        return _run(problem, params, space, run, started)
    finally:
        if pool is not None:
            pool.shutdown()


def _select(space: PairSpace, k: int, run: ChunkRunner, seed: int, cache: dict[str, Any]) -> np.ndarray:
    """Candidate arcs (sorted keys ``i * n + j``): each mentor's best among a sample of
    mentees and each mentee's best among a sample of mentors (samples drawn from a
    seeded permutation, so every person is sampled about equally often)."""
    m, n = space.m, space.n
    rng = np.random.default_rng(seed)
    perm_cols, perm_rows = rng.permutation(n), rng.permutation(m)
    sample_c = min(n, max(16 * k, min(n // SAMPLE_DIV, SAMPLE_MAX)))
    sample_r = min(m, max(16 * k, min(m // SAMPLE_DIV, SAMPLE_MAX)))
    # At least SAMPLE_SPLITS chunks a side, each with its own sample: people who tie
    # with everyone still see different partners.
    step_r = max(1, min(CHUNK_CELLS // sample_c, -(-m // SAMPLE_SPLITS)))
    step_c = max(1, min(CHUNK_CELLS // sample_r, -(-n // SAMPLE_SPLITS)))
    typed = not space.has_rules or space.typed is not None  # rules (if any) decided pair by pair cheaply
    scan = _type_scan(space, cache) if typed and space.m * n > FULL_SCAN_PAIRS else None
    tasks = [] if scan is not None else [("row", c, s, min(s + step_r, m)) for c, s in enumerate(range(0, m, step_r))]
    if typed:  # other rules need whole mentor rows; there rows carry the search
        tasks += [("col", c, s, min(s + step_c, n)) for c, s in enumerate(range(0, n, step_c))]
    # Someone taking c partners needs about c times the candidates.
    k_row = min(sample_c, k * max(1, int(space.bounds[1].max(initial=1))))
    k_col = min(sample_r, k * max(1, int(space.bounds[3].max(initial=1))))
    tie = np.iinfo(np.uint16).max + 1
    state = SelectState(
        space,
        perm_rows,
        perm_cols,
        sample_r,
        sample_c,
        k_row,
        k_col,
        rng.integers(0, tie, m, dtype=np.int64),
        rng.integers(0, tie, n, dtype=np.int64),
    )
    parts = list(run.map(select_chunk, state, tasks))
    if scan is not None:
        # Mentors: best partners over all mentees, found through their type's focus and borough parts.
        k_row = k * max(1, int(space.bounds[1].max(initial=1)))
        width = min(n, max(8 * k_row, 64))
        best = TypeBestState(
            scan, space, k_row, width, rng.integers(0, tie, scan.n_types, dtype=np.int64), state.tie_cols
        )
        step = max(1, (4 * CHUNK_CELLS) // max(1, n))
        parts += list(
            run.map(type_best_chunk, best, [(a, min(a + step, scan.n_types)) for a in range(0, scan.n_types, step)])
        )
    if not parts:
        return np.zeros(0, np.int64)
    rows = np.concatenate([p[0] for p in parts]).astype(np.int64)
    cols = np.concatenate([p[1] for p in parts]).astype(np.int64)
    return sorted_unique(rows * n + cols)


def _cap(ks: np.ndarray, v: np.ndarray, n: int, per: int, seed: int) -> np.ndarray:
    """The violating pairs to add: each person's ``per`` most violated ones (both sides),
    ties broken by a seeded shuffle so identical people get different partners."""
    if len(ks) <= per:
        return ks
    limit = per * (int(ks.max()) // n + 1 + n)  # at most `per` for everyone: sort no more than that
    if len(ks) > limit:
        top = np.argpartition(-v, limit - 1)[:limit]
        ks, v = ks[top], v[top]
    shuffle = np.random.default_rng(seed).permutation(len(ks))
    ks, v = ks[shuffle], v[shuffle]
    keep = np.zeros(len(ks), dtype=bool)
    for group in (ks // n, ks % n):
        keep[top_per_group(group, v, per)] = True
    return np.sort(ks[keep])


def _graph(space: PairSpace, keys: np.ndarray) -> ArcGraph:
    rows, cols = keys // space.n, keys % space.n
    # Every key is an allowed pair (chosen from rule-checked chunks), so only its score is needed.
    gain = space.pair_gains(rows, cols)
    mlo, mhi, elo, ehi = space.bounds
    return ArcGraph(rows, cols, gain, mlo, mhi, elo, ehi)


def _type_scan(space: PairSpace, cache: dict[str, Any]) -> TypeScan | None:
    if space.parts is None:
        return None
    if cache.get("lift") != space.lift:
        cache.update(lift=space.lift, scan=TypeScan(space.builtin, space.parts, space.lift))
    scan: TypeScan = cache["scan"]
    return scan


def _certify(
    space: PairSpace,
    keys: np.ndarray,
    d_m: np.ndarray,
    d_e: np.ndarray,
    run: ChunkRunner,
    cache: dict[str, Any],
    per_person: int,
    seed: int,
) -> dict[str, Any]:
    """One check over all pairs: allowed pairs outside ``keys`` with a positive reduced
    cost ``gain + d_e[j] - d_m[i]`` (plain scans add nearly tight ones, with reduced
    costs <= 0, which never count as violations).

    Returns those keys and reduced costs, and how many pairs were
    cleared by a bound, scored exactly, and allowed by the rules (None when
    not counted). People without capacity get potentials no pair can beat.
    Arcs of the graph never violate (the potentials are optimal on it); pins are filtered.
    """
    n = space.n
    big = space.max_gain + space.lift + 1
    dm = np.where(space.dead_rows, big + max(0, int(d_m.max(initial=0))), d_m)
    de = np.where(space.dead_cols, int(d_e.min(initial=0)) - big, d_e)
    outside = sorted_unique(np.r_[keys, space.pin_keys])
    # Small problems: a plain scan of every pair costs less than the per-type bookkeeping.
    scan = _type_scan(space, cache) if space.m * n > FULL_SCAN_PAIRS else None
    if scan is not None:
        step = max(1, (4 * CHUNK_CELLS) // max(1, n))  # mentor types per task: each costs about n
        tasks = [(a, min(a + step, scan.n_types)) for a in range(0, scan.n_types, step)]
        untyped = space.has_rules and space.typed is None  # rules checked after the scan
        limit = None if untyped else max(16, 4 * per_person)
        type_state = TypeScanState(scan, space, dm, de, limit)
        parts = list(run.map(type_scan_chunk, type_state, tasks))
        rows = np.concatenate([p[0] for p in parts]).astype(np.int64)
        cols = np.concatenate([p[1] for p in parts]).astype(np.int64)
        v = np.concatenate([p[2] for p in parts]).astype(np.int64)
        exact = sum(p[3] for p in parts)
        ks = rows * n + cols
        new = not_in(outside, ks)
        ks, v = ks[new], v[new]
        if untyped and len(ks):
            keep = space.allowed_pairs(ks // n, ks % n)
            ks, v = ks[keep], v[keep]
        return {
            "keys": ks,
            "values": v,
            "cleared": space.m * n - exact,
            "exact": exact,
            "allowed": None if space.has_rules else space.m * n,
        }
    rng = np.random.default_rng(seed)
    tie = np.iinfo(np.uint16).max + 1
    # Nearly tight pairs come along with the violations: on small problems that saves rounds.
    state = ScanState(
        space,
        dm,
        de,
        outside,
        per_person,
        rng.integers(0, tie, space.m, dtype=np.int64),
        rng.integers(0, tie, n, dtype=np.int64),
        space.max_gain // NEAR_DIV,
    )
    parts = list(run.map(scan_chunk, state, space.scorer.chunks(CHUNK_CELLS)))
    ks = np.concatenate([p[0] for p in parts])
    v = np.concatenate([p[1] for p in parts])
    allowed = sum(p[2] for p in parts)
    return {
        "keys": ks,
        "values": v,
        "cleared": 0,
        "exact": space.m * n,
        "allowed": None if space.has_rules and not allowed else allowed,
    }


def _exact(graph: ArcGraph) -> Solution | None:
    """The faster exact backend for ``graph``: LSA on its arcs when it asks for a perfect
    matching (everyone exactly one partner), else min-cost flow (measured: on graphs where
    people may stay unmatched, LSA's doubled graph is slower than the flow)."""
    perfect = graph.n_mentors == graph.n_mentees and all(
        (bound == 1).all() for bound in (graph.mentor_lo, graph.mentor_hi, graph.mentee_lo, graph.mentee_hi)
    )
    if perfect and check_range(int(np.abs(graph.gain).max(initial=0)), 2 * (graph.n_mentors + graph.n_mentees)):
        return solve_matching(graph)
    return solve_flow(graph)


def _solve_scaled(graph: ArcGraph) -> Solution | None:
    """The exact backend on gains divided by their common divisor: the same optimal arcs,
    with a smaller cost range for OR-Tools' cost scaling (fewer phases)."""
    g = int(np.gcd.reduce(graph.gain)) if len(graph.gain) else 1
    if g <= 1:
        return _exact(graph)
    scaled = ArcGraph(
        graph.rows, graph.cols, graph.gain // g, graph.mentor_lo, graph.mentor_hi, graph.mentee_lo, graph.mentee_hi
    )
    solution = _exact(scaled)
    if solution is not None:
        solution.certificate["integer_objective"] *= g
    return solution


def _widen(space: PairSpace, keys: np.ndarray, run: ChunkRunner) -> np.ndarray:
    """Every allowed pair of anyone with a lower bound (one pass over all pairs)."""
    extra = list(run.map(_lower_bound_pairs, space, space.scorer.chunks(CHUNK_CELLS)))
    return sorted_unique(np.r_[keys, np.concatenate(extra)]) if extra else keys


def _lower_bound_pairs(space: PairSpace, start: int, stop: int) -> np.ndarray:
    mlo, _, elo, _ = space.bounds
    gain, _ = space.gains(slice(start, stop))
    need = (mlo[start:stop, None] > 0) | (elo[None, :] > 0)
    r, c = np.nonzero(need & (gain > EXCLUDED))
    return (start + r).astype(np.int64) * space.n + c


def _run(problem: Problem, params: SolveParams, space: PairSpace, run: ChunkRunner, started: float) -> Outcome | None:
    m, n = space.m, space.n
    scale = space.scaling.scale
    if OBJECTIVES[params.objective].pairs_first:
        # Lexicographic objective: each pair is worth more than any total score.
        space.set_lift(space.max_gain * min(m, n) + 1)
    if space.required and space.has_rules:
        rows, cols = np.array([p[0] for p in space.required]), np.array([p[1] for p in space.required])
        if not space.allowed_pairs(rows, cols).all():  # a pin breaks a rule: the dense path diagnoses it
            return None
    listed = space.scorer.custom.listed_keys()
    if listed is not None:
        return _run_listed(problem, params, space, listed, started)
    k = min(params.candidates_per_person, n)
    cache: dict[str, Any] = {}
    keys = sorted_unique(np.r_[_select(space, k, run, params.seed, cache), space.fixed_arcs])
    # Violating pairs added per person and round: rounds cost more as people grow, so
    # larger problems add more per round (measured on 3,000-32,900 a side: fewer rounds).
    per_person = max(16, 4 * k) * math.ceil(math.sqrt(max(m, n) / 10_000))
    timings = {"select": time.perf_counter() - started, "solve": 0.0, "potentials": 0.0, "certify": 0.0}
    history: list[dict[str, Any]] = []
    rounds, added, widened = 0, 0, False
    while True:
        rounds += 1
        t0 = time.perf_counter()
        graph = _graph(space, keys)
        solution = _solve_scaled(graph)
        timings["solve"] += time.perf_counter() - t0
        if solution is None:
            if widened:
                return None
            keys = _widen(space, keys, run)  # lower bounds: give the people who need partners every option
            widened = True
            continue
        t0 = time.perf_counter()
        d_m, d_e = potentials(graph, solution.chosen)
        timings["potentials"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        check = _certify(space, keys, d_m, d_e, run, cache, per_person, params.seed + rounds)
        timings["certify"] += time.perf_counter() - t0
        near_k, near_v = check["keys"], check["values"]
        viol, values = near_k[near_v > 0], near_v[near_v > 0]
        worst = int(values.max()) if len(values) else 0
        history.append(
            {
                "arcs": len(keys),
                "violating_pairs": len(viol),
                "max_violation": worst * space.unit / scale,
                "pairs_scored_exactly": int(check["exact"]),
            }
        )
        if not len(viol):
            break
        if rounds >= params.max_rounds:
            outcome = _outcome(
                problem,
                params,
                space,
                graph,
                solution,
                started,
                timings,
                {
                    "method": "sparse",
                    "end": "round_budget",
                    "proof": (
                        f"none: after {rounds} rounds (max_rounds={params.max_rounds}) {len(viol)} allowed "
                        f"pairs outside the candidate graph still had a positive reduced cost"
                    ),
                    "certified_over_all_pairs": False,
                    **_counts(space, keys, rounds, added, k, history, check, worst * space.unit / scale),
                },
                optimal=False,
            )
            raise SparseEnd(outcome, rounds, "round_budget")
        new = _cap(near_k, near_v, n, per_person, params.seed + rounds)
        added += len(new)
        # Few violations left: the potentials will hardly move, so arcs far from tight can go.
        late = len(viol) * LATE_SHARE < m + n
        gap = space.max_gain // (16 if late else 4)
        keys = sorted_unique(np.r_[_prune(graph, solution, d_m, d_e, keys, gap), new, space.fixed_arcs])
    proof = (
        f"{solution.certificate['proof']} on {len(keys)} candidate pairs; dual potentials of that "
        "flow leave no allowed pair outside it with a positive reduced cost (every pair cleared by a "
        "bound or scored exactly)"
    )
    counts = _counts(space, keys, rounds, added, k, history, check, 0.0)
    return _outcome(problem, params, space, graph, solution, started, timings, _certified(proof, counts))


def _run_listed(
    problem: Problem, params: SolveParams, space: PairSpace, listed: np.ndarray, started: float
) -> Outcome | None:
    """The caller listed the only candidate pairs: the graph is every listed pair the other
    rules allow, so one exact solve is optimal over all pairs (no pricing rounds, no check
    of the unlisted ones, which the rule "not a listed pair" removes)."""
    m, n = space.m, space.n
    rows, cols = listed // n, listed % n
    keep = ~space.dead_rows[rows] & ~space.dead_cols[cols] & not_in(space.pin_keys, listed)
    if space.checker.beyond_listed:
        keep &= space.allowed_pairs(rows, cols)
    allowed = int(np.count_nonzero(keep))
    keys = sorted_unique(np.r_[listed[keep], space.fixed_arcs])
    timings = {"select": time.perf_counter() - started, "solve": 0.0, "potentials": 0.0, "certify": 0.0}
    t0 = time.perf_counter()
    graph = _graph(space, keys)
    solution = _solve_scaled(graph)
    timings["solve"] = time.perf_counter() - t0
    if solution is None:
        return None  # the lower bounds cannot be met: the dense path diagnoses why
    history = [{"arcs": len(keys), "violating_pairs": 0, "max_violation": 0.0, "pairs_scored_exactly": len(listed)}]
    check = {"cleared": m * n - len(listed), "exact": len(listed), "allowed": allowed + len(space.required)}
    k = min(params.candidates_per_person, n)
    proof = (
        f"{solution.certificate['proof']} on all {len(keys)} allowed listed pairs; the other "
        f"{m * n - len(listed)} pairs are not listed, and the rule 'not a listed pair' rules them out"
    )
    counts = _counts(space, keys, 1, 0, k, history, check, 0.0)
    return _outcome(problem, params, space, graph, solution, started, timings, _certified(proof, counts))


def _certified(proof: str, counts: dict[str, Any]) -> dict[str, Any]:
    """The certificate fields of a sparse solve proved optimal over all pairs."""
    return {"method": "sparse", "end": "certified", "proof": proof, "certified_over_all_pairs": True, **counts}


def _prune(
    graph: ArcGraph, solution: Solution, d_m: np.ndarray, d_e: np.ndarray, keys: np.ndarray, gap: int
) -> np.ndarray:
    """The graph's arcs worth keeping for the next solve: the matching and every arc whose
    reduced cost is within ``gap`` of tight. Dropping the others is safe (the final check
    covers every pair) and keeps the solves small."""
    red = graph.gain + d_e[graph.cols] - d_m[graph.rows]
    keep = red >= -gap
    keep[solution.chosen] = True
    kept: np.ndarray = keys[keep]
    return kept


def _counts(
    space: PairSpace,
    keys: np.ndarray,
    rounds: int,
    added: int,
    k: int,
    history: list[dict[str, Any]],
    check: dict[str, Any],
    final_violation: float,
) -> dict[str, Any]:
    return {
        "candidates_per_person": k,
        "candidate_arcs": len(keys),
        "arcs_added": int(added),
        "rounds": rounds,
        "pairs_total": space.m * space.n,
        "pairs_cleared_by_bound": int(check["cleared"]),
        "pairs_scored_exactly": int(check["exact"]),
        "max_violation": max((h["max_violation"] for h in history), default=0.0),
        "final_max_violation": final_violation,
        "round_history": history,
        "candidate_pairs": None if check["allowed"] is None else int(check["allowed"]),
    }


def _outcome(
    problem: Problem,
    params: SolveParams,
    space: PairSpace,
    graph: ArcGraph,
    solution: Solution,
    started: float,
    timings: dict[str, float],
    certificate: dict[str, Any],
    optimal: bool = True,
) -> Outcome:
    pairs = [(i, j, True) for i, j in space.required]
    pairs += [(int(graph.rows[a]), int(graph.cols[a]), False) for a in solution.chosen]
    max_pairs = int(min(space.mentor_max.sum(), space.mentee_max.sum(), space.m * space.n))
    required = np.array(space.required, dtype=np.int64).reshape(-1, 2)
    pinned_gains = space.scaling.to_integer(space.scorer.pair_totals(required[:, 0], required[:, 1])).tolist()
    chosen = {
        "integer_objective": (int(graph.gain[solution.chosen].sum()) - space.lift * len(solution.chosen)) * space.unit
    }  # the chosen arcs' gains without the lift
    spec = OBJECTIVES[params.objective]
    if spec.pairs_first:
        chosen["pairs"] = len(solution.chosen)
    fields = {
        **certificate,
        "backend": "assignment" if solution.solver == "ortools.linear_sum_assignment" else "flow",
        **with_pinned(chosen, pinned_gains),
        **space.scaling.describe(),
        "max_pairs": max_pairs,
        "rounding_bound": space.scaling.rounding_bound(max_pairs),
        "pinned_pairs": len(space.required),
    }
    candidates = lazy_candidates(problem, space.scorer, space.checker)
    context = SolveContext(problem, LazyScores(space.scorer), candidates, params, space.scaling)
    timings = {**timings, "total": time.perf_counter() - started}
    solver = f"{solution.solver}[sparse, {'certified' if optimal else 'uncertified'}]"
    return Outcome(
        pairs=tuple(sorted(pairs)),
        optimal=optimal,
        solver=solver,
        certificate=build_certificate(spec, "sparse", fields, optimal),
        context=context,
        timings=timings,
    )
