"""Certified sparse solving: a small candidate graph, solved exactly, proved optimal over all pairs.

1. *Candidates.* Each mentor keeps its ``candidates_per_person`` best
   partners within a rotating sample of mentee columns, and each sampled
   mentee its best mentor of the chunk, among pairs every hard rule allows
   (`RuleChecker.block` on each chunk). Pinned pairs and capacities go through
   the same `ArcGraph` as the dense path.
2. *Solve* that graph with OR-Tools min-cost flow.
3. *Certify.* Dual potentials of the optimal flow (`_certify.potentials`)
   give every pair a reduced cost; one pass over *all* mentor x mentee pairs,
   chunk by chunk, checks that no allowed pair left out has a positive one.
   Violating pairs are added and steps 2-3 repeat until the check passes, so
   the answer is the optimum of the complete problem, not of the sample.

Memory stays at a few chunks plus the candidate graph; the score table is
never held.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..analysis import unmatched_people
from ..constraints import RuleChecker
from ..models import Problem
from ..params import SolveParams
from ..result import MatchResult, Pair
from ..scoring import COMPONENTS, Scorer
from ._certify import potentials
from ._flow import solve_flow
from ._graph import ArcGraph, Solution
from ._lazy import LazyCandidates, LazyTable
from ._scaling import rounding_bound, to_integer

__all__ = ["AUTO_MIN_PAIRS", "solve_sparse", "sparse_supported"]

# From benchmarks/: below about 1,500 x 1,500 the dense path is as fast.
AUTO_MIN_PAIRS = 1500 * 1500
CHUNK_CELLS = 1 << 20
MAX_ROUNDS = 50
SAMPLE_DIV = 4
_EXCLUDED = np.int64(-(1 << 61))  # gain of a pair that is not an arc (ruled out, pinned, no capacity)


def sparse_supported(problem: Problem, params: SolveParams) -> bool:
    """Objectives and backends the certified sparse method handles."""
    quotas = getattr(problem.rules, "quotas", ())
    return params.objective in ("max_score", "max_participation") and params.backend in ("auto", "flow") \
        and not quotas


def _lower_bounds(problem: Problem, side: str) -> np.ndarray:
    try:  # rules such as "match every mentee" raise the lower bounds
        from ..constraints import minimum_partners
    except ImportError:  # pragma: no cover - older rule sets
        people = problem.mentors if side == "mentor" else problem.mentees
        return np.array([p.min_partners for p in people], dtype=np.int64)
    return minimum_partners(problem, side)


class _PairSpace:
    """Integer gains of every pair, a chunk of mentor rows at a time, with
    ruled-out, pinned and no-capacity pairs marked ``_EXCLUDED``."""

    def __init__(self, problem: Problem, resolution: int) -> None:
        self.problem = problem
        self.scorer = scorer = Scorer(problem)
        self.checker = RuleChecker(problem, scorer)
        self.m, self.n = scorer.shape
        self.level_gain = to_integer(scorer.level_values["total"], resolution)
        rules = problem.rules
        self.has_rules = bool(
            rules.forbidden_pairs or rules.min_score is not None or rules.require_focus_overlap
            or rules.min_overlap_minutes or rules.max_borough_steps is not None or rules.forbid_same)
        mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
        self.required = tuple((mentor_ix[a], mentee_ix[b]) for a, b in dict.fromkeys(rules.required_pairs))
        self.mentor_min, self.mentee_min = _lower_bounds(problem, "mentor"), _lower_bounds(problem, "mentee")
        self.mentor_max = np.array([p.max_partners for p in problem.mentors], dtype=np.int64)
        self.mentee_max = np.array([p.max_partners for p in problem.mentees], dtype=np.int64)
        mlo, mhi = self.mentor_min.copy(), self.mentor_max.copy()
        elo, ehi = self.mentee_min.copy(), self.mentee_max.copy()
        for i, j in self.required:
            mlo[i], mhi[i], elo[j], ehi[j] = mlo[i] - 1, mhi[i] - 1, elo[j] - 1, ehi[j] - 1
        self.bounds = (np.maximum(mlo, 0), mhi, np.maximum(elo, 0), ehi)
        self.pins_ok = bool((mhi >= 0).all() and (ehi >= 0).all())
        self.dead_rows, self.dead_cols = mhi <= 0, ehi <= 0
        pins = np.array(self.required, dtype=np.int64).reshape(-1, 2)
        self.pins_by_row = pins[np.argsort(pins[:, 0], kind="stable")]
        self.pin_bits: dict[tuple[int, int], int] = {}
        self.lift = 0

    def gains(self, start: int, stop: int, cols: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """``(gain, allowed)``: integer gains of mentors ``start:stop`` x mentees ``cols``
        (excluded pairs at ``_EXCLUDED``), and how many pairs the rules allow."""
        scorer = self.scorer
        if self.has_rules:
            block = scorer.block(start, stop)
            bits = self.checker.block(start, stop, block)
            code = scorer.levels(start, stop)
            gain = self.level_gain[code] + self.lift
            gain[bits != 0] = _EXCLUDED
            allowed = int(np.count_nonzero(bits == 0))
            lo, hi = np.searchsorted(self.pins_by_row[:, 0], [start, stop])
            for i, j in self.pins_by_row[lo:hi].tolist():
                self.pin_bits[(i, j)] = int(bits[i - start, j])
        else:
            code = scorer.levels(start, stop, cols)
            gain = self.level_gain[code]
            if self.lift:
                gain += self.lift
            allowed = gain.size
        if cols is not None and self.has_rules:
            gain = gain[:, cols]
        cols_ix = np.arange(self.n) if cols is None else cols
        lo, hi = np.searchsorted(self.pins_by_row[:, 0], [start, stop])
        for i, j in self.pins_by_row[lo:hi].tolist():
            hit = np.flatnonzero(cols_ix == j)
            gain[i - start, hit] = _EXCLUDED
        gain[self.dead_rows[start:stop]] = _EXCLUDED
        gain[:, self.dead_cols[cols_ix]] = _EXCLUDED
        return gain, allowed


def _select(space: _PairSpace, k: int, executor) -> tuple[np.ndarray, np.ndarray]:
    """Candidate arcs: per mentor the best ``k`` in a rotating column sample,
    per sampled mentee its best mentor in each chunk until it has ``k``."""
    m, n = space.m, space.n
    sample = min(n, max(16 * k, n // SAMPLE_DIV))
    chunks = space.scorer.chunks(max(CHUNK_CELLS // max(1, n) * sample, sample))

    def run(start: int, stop: int):
        offset = (start * 7919) % n  # spread the samples of consecutive chunks over all columns
        cols = (offset + np.arange(sample)) % n
        gain, _ = space.gains(start, stop, cols)
        kk = min(k, sample)
        top = np.argpartition(-gain, kk - 1, axis=1)[:, :kk] if kk < sample else \
            np.broadcast_to(np.arange(sample), gain.shape)
        rr = np.repeat(np.arange(stop - start), top.shape[1])
        cc = top.reshape(-1)
        keep = gain[rr, cc] > _EXCLUDED
        best = gain.argmax(axis=0)
        ok = gain[best, np.arange(sample)] > _EXCLUDED
        rows = np.r_[start + rr[keep], start + best[ok]]
        return rows, np.r_[cols[cc[keep]], cols[ok]]

    parts = list(executor.map(lambda se: run(*se), chunks))
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    return rows.astype(np.int64), cols.astype(np.int64)


def _unique_arcs(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    return np.unique(rows * n + cols)


def _graph(space: _PairSpace, keys: np.ndarray) -> ArcGraph:
    rows, cols = keys // space.n, keys % space.n
    # Every key is an allowed pair (chosen from rule-checked chunks), so only its score is needed.
    gain = space.level_gain[space.scorer.pair_levels(rows, cols)] + space.lift
    mlo, mhi, elo, ehi = space.bounds
    return ArcGraph(rows, cols, gain, mlo, mhi, elo, ehi)


def _certify(space: _PairSpace, keys: np.ndarray, d_m: np.ndarray, d_e: np.ndarray, per_row: int, executor):
    """One pass over all pairs: allowed pairs outside ``keys`` with positive reduced cost.

    Returns (violating keys, max reduced cost among pairs left out, pairs checked, allowed pairs).
    """
    n = space.n
    small = max(abs(int(d_m.min(initial=0))), abs(int(d_e.min(initial=0)))) + int(space.level_gain.max()) \
        + space.lift < (1 << 30)
    dtype = np.int32 if small else np.int64
    de = d_e.astype(dtype)

    def run(start: int, stop: int):
        gain, allowed = space.gains(start, stop)
        red = gain.astype(dtype) if small else gain
        np.add(red, de, out=red)
        np.subtract(red, d_m[start:stop, None].astype(dtype), out=red)
        red[gain <= _EXCLUDED] = np.iinfo(dtype).min
        if not (red > 0).any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64), allowed
        r, c = np.nonzero(red > 0)
        v = red[r, c].astype(np.int64)
        ks = (start + r) * n + c
        inside = np.isin(ks, keys, assume_unique=False)
        ks, v, r = ks[~inside], v[~inside], r[~inside]
        order = np.lexsort((-v, r))  # most violated first within each row
        first = np.r_[0, np.flatnonzero(np.diff(r[order])) + 1]
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        pick = order[rank < per_row]
        return ks[pick], v[pick], allowed

    parts = list(executor.map(lambda se: run(*se), space.scorer.chunks(CHUNK_CELLS)))
    viol = np.concatenate([p[0] for p in parts])
    worst = max((int(p[1].max()) for p in parts if len(p[1])), default=0)
    return viol, worst, space.m * n, sum(p[2] for p in parts)


def solve_sparse(problem: Problem, params: SolveParams, started: float | None = None) -> MatchResult | None:
    """Solve ``problem`` by the certified sparse method, or return None when the
    dense method should run instead (unsupported objective or backend,
    ``method="auto"`` on a small problem, pins that break a rule, or a sparse
    graph that cannot meet the lower bounds, which the dense path diagnoses).
    """
    started = time.perf_counter() if started is None else started
    if params.method == "dense" or not sparse_supported(problem, params):
        return None
    m, n = problem.shape
    if params.method == "auto" and m * n < AUTO_MIN_PAIRS:
        return None
    if m == 0 or n == 0:
        return None
    space = _PairSpace(problem, params.resolution)
    if not space.pins_ok:
        return None
    k = min(params.candidates_per_person, n)
    workers = min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as executor:
        return _run(problem, params, space, k, executor, started)


def _run(problem, params, space: _PairSpace, k: int, executor, started: float) -> MatchResult | None:
    m, n = space.m, space.n
    participation = params.objective == "max_participation"
    if participation:
        # Lexicographic objective: each pair is worth more than any total score.
        space.lift = int(space.level_gain.max(initial=0)) * min(m, n) + 1
    if space.required and space.has_rules:
        for i, j in space.required:  # pin rule bits come from the same checker
            bits = space.checker.block(i, i + 1, space.scorer.block(i, i + 1))
            if bits[0, j]:
                return None
    rows, cols = _select(space, k, executor)
    keys = _unique_arcs(rows, cols, n)
    rounds, added, widened = 0, 0, False
    timings: dict[str, float] = {"select": time.perf_counter() - started, "solve": 0.0, "potentials": 0.0,
                                 "certify": 0.0}
    while True:
        rounds += 1
        t0 = time.perf_counter()
        graph = _graph(space, keys)
        solution = solve_flow(graph)
        timings["solve"] += time.perf_counter() - t0
        if solution is None:
            if widened:
                return None
            keys = _widen(space, keys, executor)  # lower bounds: give the people who need partners every option
            widened = True
            continue
        t0 = time.perf_counter()
        d_m, d_e = potentials(graph, solution.chosen)
        timings["potentials"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        viol, worst, checked, allowed = _certify(space, keys, d_m, d_e, max(k, 8), executor)
        timings["certify"] += time.perf_counter() - t0
        if not len(viol):
            break
        if rounds >= MAX_ROUNDS:
            return None
        added += len(viol)
        keys = np.union1d(keys, viol)
    return _result(problem, params, space, graph, solution, started, {
        "method": "sparse",
        "proof": (f"{solution.certificate['proof']} on {len(keys)} candidate pairs; dual potentials of that "
                  f"flow leave no allowed pair with a positive reduced cost (checked against all pairs)"),
        "checked_against_all_pairs": True,
        "candidates_per_person": k,
        "candidates_kept": int(len(keys)),
        "pairs_added": int(added),
        "rounds": rounds,
        "pairs_checked": int(checked),
        "max_violation": worst / params.resolution,
        "candidate_pairs": int(allowed),
        "timings_s": {key: round(v, 4) for key, v in timings.items()},
    })


def _widen(space: _PairSpace, keys: np.ndarray, executor) -> np.ndarray:
    """Every allowed pair of anyone with a lower bound (one pass over all pairs)."""
    mlo, _, elo, _ = space.bounds
    n = space.n

    def run(start: int, stop: int) -> np.ndarray:
        gain, _ = space.gains(start, stop)
        need = (mlo[start:stop, None] > 0) | (elo[None, :] > 0)
        r, c = np.nonzero(need & (gain > _EXCLUDED))
        return (start + r) * n + c

    extra = [x for x in executor.map(lambda se: run(*se), space.scorer.chunks(CHUNK_CELLS))]
    return np.union1d(keys, np.concatenate(extra)) if extra else keys


def _result(problem, params, space: _PairSpace, graph: ArcGraph, solution: Solution, started: float,
            certificate: dict[str, Any]) -> MatchResult:
    from . import SolveContext  # the public module defines what results carry

    scorer = space.scorer
    index_pairs = [(i, j, True) for i, j in space.required]
    index_pairs += [(int(graph.rows[a]), int(graph.cols[a]), False) for a in solution.chosen]
    index_pairs.sort()
    rows = np.array([p[0] for p in index_pairs], dtype=np.int64)
    cols = np.array([p[1] for p in index_pairs], dtype=np.int64)
    values = scorer.pair_values(rows, cols)
    pairs = []
    for k, (i, j, pinned) in enumerate(index_pairs):
        components = {name: float(values[name][k]) for name in COMPONENTS}
        contributions = {name: scorer.weights[name] * v for name, v in components.items()}
        pairs.append(Pair(problem.mentors[i].id, problem.mentees[j].id, float(values["total"][k]),
                          components, contributions, pinned))
    table = LazyTable(scorer)
    candidates = LazyCandidates(scorer, space.checker, space.required, space.mentor_min, space.mentor_max,
                                space.mentee_min, space.mentee_max)
    certificate = {
        **certificate,
        "integer_objective": int(graph.gain[solution.chosen].sum()) - space.lift * len(solution.chosen),
        "resolution": params.resolution,
        "rounding_bound": rounding_bound(len(pairs), params.resolution),
        "pinned_pairs": len(space.required),
    }
    if params.objective == "max_participation":
        certificate["pairs"] = len(solution.chosen)
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=unmatched_people(problem, table, candidates, [(i, j) for i, j, _ in index_pairs]),
        objective=math.fsum(p.score for p in pairs),
        status="optimal",
        objective_name=params.objective,
        solver=f"{solution.solver}[sparse, certified]",
        runtime_s=time.perf_counter() - started,
        certificate=certificate,
        seed=params.seed,
        _context=SolveContext(problem, table, candidates, params),
    )
