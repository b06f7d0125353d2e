"""Certified sparse solving: a small candidate graph, solved exactly, proved optimal over all pairs.

1. *Candidates.* Each mentor keeps its ``candidates_per_person`` best
   partners (times its capacity) among a seeded sample of the mentees, and
   each mentee its best mentors among a sample of the mentors. Hard rules
   come from `RuleChecker.block` on each chunk; pinned pairs and capacities
   go through the same `ArcGraph` as the dense path.
2. *Solve* that graph with OR-Tools min-cost flow (`_flow.solve_flow`).
3. *Price.* Dual potentials of the optimal flow (`_certify.potentials`) give
   every pair a reduced cost ``gain + d_mentee - d_mentor``. On large
   problems, violating pairs are first looked for on fresh samples (cheap,
   never a proof) and added, and steps 2-3 repeat.
4. *Certify.* A check over *all* mentor x mentee pairs: whole type blocks
   are cleared by a bound (`_certify.BlockBound`) and the rest is scored
   exactly, chunk by chunk. Allowed pairs left out with a positive reduced
   cost are added and steps 2-4 repeat; when none is left, the potentials
   are a dual solution of the complete problem with the same value, so the
   answer is its optimum (not just the sample's).

Memory stays at a few chunks plus the candidate graph; the score table is
never held. Results carry on-demand views of the scores and the rule bits
(`LazyScores`, `LazyCandidates`), computed through the same `Scorer` and
`RuleChecker` as the dense table.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..constraints import RuleChecker, bounds_after_pins, lazy_candidates, minimum_partners, required_indices
from ..models import Problem
from ..params import SolveParams
from ..scoring import BuiltinLevels, ChunkRunner, LazyScores, Scorer
from ._certify import BlockBound, potentials
from ._flow import solve_flow
from ._graph import ArcGraph, Solution, top_per_group
from .contracts import Outcome, SolveContext
from .scaling import Scaling

__all__ = ["AUTO_MIN_PAIRS", "solve_sparse", "sparse_supported"]

# From benchmarks/: from about 1,000 x 1,000 people the sparse path is the faster one.
AUTO_MIN_PAIRS = 1000 * 1000
CHUNK_CELLS = 1 << 20
MAX_ROUNDS = 50
SAMPLE_DIV = 4
PRICE_ON_SAMPLES = True  # grow the graph on sampled pairs before the first full check
PRICE_MIN_PAIRS = 5 * 10**7
PRICE_STOP = 25  # sampled pricing ends when it finds fewer than (m + n) / PRICE_STOP pairs
BLOCK_SHARE = 0.05  # certify by type blocks when at most this share of pairs needs scoring
_EXCLUDED = np.int64(-(1 << 61))  # gain of a pair that is not an arc (ruled out, pinned, no capacity)


def sparse_supported(problem: Problem, params: SolveParams) -> bool:
    """Objectives and backends the certified sparse method handles."""
    return params.objective in ("max_score", "max_participation") and params.backend in ("auto", "flow") \
        and not problem.rules.quotas


class _PairSpace:
    """Integer gains of every pair, a chunk of mentor rows at a time, with
    ruled-out, pinned and no-capacity pairs marked ``_EXCLUDED``."""

    def __init__(self, problem: Problem, scorer: Scorer, scaling: Scaling) -> None:
        self.problem = problem
        self.scorer = scorer
        self.scaling = scaling
        self.builtin = builtin = scorer.builtin
        self.checker = RuleChecker(problem, scorer)
        self.m, self.n = scorer.shape
        # Only the built-in components are level-coded; custom ones are scored block by block.
        self.level_gain = scaling.to_integer(builtin.level_values["total"])
        self.coded = scorer.level_coded
        self.has_rules = self.checker.active
        self.required = required_indices(problem)
        self.mentor_min, self.mentee_min = minimum_partners(problem, "mentor"), minimum_partners(problem, "mentee")
        self.mentor_max = np.array([p.max_partners for p in problem.mentors], dtype=np.int64)
        self.mentee_max = np.array([p.max_partners for p in problem.mentees], dtype=np.int64)
        self.bounds = bounds_after_pins(self.required, self.mentor_min, self.mentor_max,
                                        self.mentee_min, self.mentee_max)
        mhi, ehi = self.bounds[1], self.bounds[3]
        self.pins_ok = bool((mhi >= 0).all() and (ehi >= 0).all())
        self.dead_rows, self.dead_cols = mhi <= 0, ehi <= 0
        self.any_dead = bool(self.dead_rows.any() or self.dead_cols.any())
        pins = np.array(self.required, dtype=np.int64).reshape(-1, 2)
        self.pins_by_row = pins[np.argsort(pins[:, 0], kind="stable")]
        self.pin_keys = np.unique(pins[:, 0] * self.n + pins[:, 1])
        self.lift = 0
        self.parts = _integer_parts(builtin, scaling.scale, self.level_gain) if self.coded else None
        self.block_bound: BlockBound | None = None

    @property
    def max_gain(self) -> int:
        """No pair's integer gain exceeds this."""
        return int(self.scaling.to_integer(self.scorer.upper_bound))

    def reduced_costs(self, start: int, stop: int | None, d_m, d_e, cols=None, rows=None) -> np.ndarray:
        """``gain + lift + d_e[j] - d_m[i]`` for mentors ``start:stop`` (or ``rows``) x
        mentees ``cols`` (default all), no rule applied; ``d_m`` / ``d_e`` may be 0.

        Uses the exact split of each integer gain into focus, borough and
        availability parts (`_integer_parts`), so ``d_m`` folds into the small
        per-profile matrices and every pair costs three gathers and adds.
        """
        builtin = self.builtin
        assert self.parts is not None
        focus, borough, avail = self.parts
        rows = slice(start, stop) if rows is None else rows
        cols = slice(None) if cols is None else cols
        shift = self.lift - (d_m[rows] if np.ndim(d_m) else d_m)
        left = focus[builtin.left.focus[rows]] + np.asarray(shift, dtype=focus.dtype).reshape(-1, 1)
        red = np.take(left, builtin.right.focus[cols], axis=1)
        red += np.take(borough[builtin.left.place[rows]], builtin.right.place[cols], axis=1)
        kinds = builtin.slot_type_right[cols]
        types = None
        if not isinstance(cols, slice) and len(kinds) < len(builtin.slot_types):
            types, kinds = np.unique(kinds, return_inverse=True)  # only the weekly patterns in `cols`
        counts = builtin.slot_counts(rows, types)
        red += np.take(avail[np.minimum(counts, builtin.cap)], kinds.reshape(-1), axis=1)
        if np.ndim(d_e):
            red += d_e[cols]
        return red

    def _raw_gains(self, rows, cols) -> np.ndarray:
        """Integer gains (plus lift) of mentors ``rows`` x mentees ``cols``, no rule applied."""
        if self.parts is not None:
            return self.reduced_costs(0, None, 0, 0, cols=cols, rows=rows).astype(np.int64, copy=False)
        if self.coded:
            return self.level_gain[self.builtin.levels(rows, cols)] + self.lift
        return self.scaling.to_integer(self.scorer.totals(rows, cols)) + self.lift

    def pair_gains(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Integer gains (plus lift) of the pairs ``(rows[k], cols[k])``."""
        if self.coded:
            return self.level_gain[self.builtin.pair_levels(rows, cols)] + self.lift
        return self.scaling.to_integer(self.scorer.pair_totals(rows, cols)) + self.lift

    def gains_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Integer gains of mentors ``rows`` x mentees ``cols`` when no rule applies."""
        gain = self._raw_gains(rows, cols)
        for i, j in self.pins_by_row.tolist():
            gain[np.ix_(rows == i, cols == j)] = _EXCLUDED
        if self.any_dead:
            gain[self.dead_rows[rows]] = _EXCLUDED
            gain[:, self.dead_cols[cols]] = _EXCLUDED
        return gain

    def gains(self, start: int, stop: int, cols: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """``(gain, allowed)``: integer gains of mentors ``start:stop`` x mentees ``cols``
        (excluded pairs at ``_EXCLUDED``), and how many pairs the rules allow."""
        rows = slice(start, stop)
        if self.has_rules:
            block = self.scorer.block(rows)
            bits = self.checker.block(rows, slice(None), block)
            gain = self.scaling.to_integer(block["total"]) if not self.coded else \
                self.level_gain[self.builtin.levels(rows, slice(None))]
            gain += self.lift
            gain[bits != 0] = _EXCLUDED
            allowed = int(np.count_nonzero(bits == 0))
            if cols is not None:
                gain = gain[:, cols]
        else:
            gain = self._raw_gains(rows, slice(None) if cols is None else cols)
            allowed = gain.size
        cols_ix = np.arange(self.n) if cols is None else cols
        lo, hi = np.searchsorted(self.pins_by_row[:, 0], [start, stop])
        for i, j in self.pins_by_row[lo:hi].tolist():
            hit = np.flatnonzero(cols_ix == j)
            gain[i - start, hit] = _EXCLUDED
        if self.any_dead:
            gain[self.dead_rows[start:stop]] = _EXCLUDED
            gain[:, self.dead_cols[cols_ix]] = _EXCLUDED
        return gain, allowed


def _integer_parts(builtin: BuiltinLevels, scale: float, level_gain: np.ndarray):
    """Integer focus / borough / availability parts whose sum is each pair's integer gain,
    or None when rounding does not split exactly (then whole gains are looked up).

    ``round(scale * (wF F + wB B + wA A))`` equals the sum of the rounded
    weighted parts whenever each part is an integer up to float noise; that
    is checked on every level, not assumed.
    """
    w = builtin.weights
    parts = []
    for name, values in (("focus", builtin.focus_values), ("borough", builtin.borough_values),
                         ("availability", builtin.availability_values)):
        raw = scale * w[name] * np.asarray(values, dtype=float)
        if len(raw) and np.abs(raw - np.rint(raw)).max() > 1e-6:
            return None
        parts.append(np.rint(raw).astype(np.int64))
    kf, kb, ka = len(parts[0]), len(parts[1]), len(parts[2])
    level = np.arange(builtin.n_levels)
    if kf and kb:
        split = parts[0][level // (kb * ka)] + parts[1][(level // ka) % kb] + parts[2][level % ka]
        if not np.array_equal(split, level_gain):
            return None
    else:
        return None
    fcode = builtin.focus_code // (kb * ka)
    bcode = builtin.borough_code // ka
    return parts[0][fcode], parts[1][bcode], parts[2]


def _top(gain: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest entries of each row (any order; ties to the first)."""
    if k >= gain.shape[1]:
        return np.broadcast_to(np.arange(gain.shape[1]), gain.shape)
    if k > 8:
        return np.argpartition(-gain, k - 1, axis=1)[:, :k]
    # A few vectorised argmax passes beat a partial sort for small k.
    work, rows = gain.copy(), np.arange(gain.shape[0])
    out = np.empty((gain.shape[0], k), dtype=np.int64)
    for t in range(k):
        out[:, t] = work.argmax(axis=1)
        work[rows, out[:, t]] = np.iinfo(work.dtype).min
    return out


def _select(space: _PairSpace, k: int, executor, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate arcs: each mentor's best ``k`` among a sample of mentees and
    each mentee's best ``k`` among a sample of mentors (samples drawn from a
    seeded permutation, so every person is sampled about equally often)."""
    m, n = space.m, space.n
    rng = np.random.default_rng(seed)
    perm_cols, perm_rows = rng.permutation(n), rng.permutation(m)
    sample_c = min(n, max(16 * k, n // SAMPLE_DIV))
    sample_r = min(m, max(16 * k, m // SAMPLE_DIV))
    step_r = max(1, CHUNK_CELLS // sample_c)
    step_c = max(1, CHUNK_CELLS // sample_r)
    tasks = [("row", c, s, min(s + step_r, m)) for c, s in enumerate(range(0, m, step_r))]
    if not space.has_rules:  # rules need whole mentor rows; there rows carry the search
        tasks += [("col", c, s, min(s + step_c, n)) for c, s in enumerate(range(0, n, step_c))]

    # Someone taking c partners needs about c times the candidates.
    k_row = min(sample_c, k * max(1, int(space.bounds[1].max(initial=1))))
    k_col = min(sample_r, k * max(1, int(space.bounds[3].max(initial=1))))

    def run(task):
        kind, c, a, b = task
        if kind == "row":
            cols = perm_cols[(c * sample_c + np.arange(sample_c)) % n]
            gain, _ = space.gains(a, b, cols)
            top = _top(gain, k_row)
            rr = np.repeat(np.arange(b - a), top.shape[1])
            cc = top.reshape(-1)
            keep = gain[rr, cc] > _EXCLUDED
            rows, picked = a + rr[keep], cols[cc[keep]]
            if space.has_rules:  # and each sampled mentee's best mentor of the chunk
                best = gain.argmax(axis=0)
                ok = gain[best, np.arange(len(cols))] > _EXCLUDED
                rows, picked = np.r_[rows, a + best[ok]], np.r_[picked, cols[ok]]
            return rows, picked
        rows = np.sort(perm_rows[(c * sample_r + np.arange(sample_r)) % m])
        gain = space.gains_at(rows, np.arange(a, b)).T  # (mentees, sampled mentors)
        top = _top(gain, k_col)
        cc = np.repeat(np.arange(b - a), top.shape[1])
        rr = top.reshape(-1)
        keep = gain[cc, rr] > _EXCLUDED
        return rows[rr[keep]], a + cc[keep]

    parts = list(executor.map(run, tasks))
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    return rows.astype(np.int64), cols.astype(np.int64)


def _cap(ks: np.ndarray, v: np.ndarray, n: int, per: int) -> np.ndarray:
    """The violating pairs to add: each person's ``per`` most violated ones (both sides)."""
    if len(ks) <= per:
        return ks
    limit = per * (int(ks.max()) // n + 1 + n)  # at most `per` for everyone: sort no more than that
    if len(ks) > limit:
        top = np.argpartition(-v, limit - 1)[:limit]
        ks, v = ks[top], v[top]
    keep = np.zeros(len(ks), dtype=bool)
    for group in (ks // n, ks % n):
        keep[top_per_group(group, v, per)] = True
    return ks[keep]


def _sample_violations(space: _PairSpace, keys: np.ndarray, d_m: np.ndarray, d_e: np.ndarray, per_row: int,
                       executor, seed: int) -> np.ndarray:
    """Pairs outside ``keys`` with a positive reduced cost among a fresh column
    sample of every mentor row: a cheap way to grow the graph while the
    potentials are still far from certifying it (never a proof)."""
    m, n = space.m, space.n
    rng = np.random.default_rng(seed)
    sample = min(n, max(16 * per_row, n // (2 * SAMPLE_DIV)))
    step = max(1, CHUNK_CELLS // sample)
    outside = _sorted_unique(np.r_[keys, space.pin_keys])

    def run(task):
        c, a, b = task
        cols = np.sort(rng_cols[c])
        gain, _ = space.gains(a, b, cols)
        red = gain + d_e[cols] - d_m[a:b, None]
        red[gain <= _EXCLUDED] = -1
        r, cc = np.nonzero(red > 0)
        v = red[r, cc]
        ks = (a + r) * n + cols[cc]
        if len(outside) and len(ks):
            pos = np.minimum(np.searchsorted(outside, ks), len(outside) - 1)
            new = outside[pos] != ks
            ks, v, r = ks[new], v[new], r[new]
        return ks, v

    tasks = [(c, a, min(a + step, m)) for c, a in enumerate(range(0, m, step))]
    rng_cols = [rng.choice(n, size=sample, replace=False) for _ in tasks]
    parts = list(executor.map(run, tasks))
    if not parts:
        return np.zeros(0, np.int64)
    return _cap(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), n, per_row)


def _unique_arcs(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    return _sorted_unique(rows * n + cols)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys (a plain sort: faster here than numpy's hash-based unique)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _graph(space: _PairSpace, keys: np.ndarray) -> ArcGraph:
    rows, cols = keys // space.n, keys % space.n
    # Every key is an allowed pair (chosen from rule-checked chunks), so only its score is needed.
    gain = space.pair_gains(rows, cols)
    mlo, mhi, elo, ehi = space.bounds
    return ArcGraph(rows, cols, gain, mlo, mhi, elo, ehi)


def _certify(space: _PairSpace, keys: np.ndarray, d_m: np.ndarray, d_e: np.ndarray, per_row: int, executor):
    """One pass over all pairs: allowed pairs outside ``keys`` with a positive reduced cost
    ``gain + d_e[j] - d_m[i]``.

    Returns (violating keys, largest reduced cost among pairs left out, pairs checked,
    pairs the rules allow). Pairs that are not arcs (no capacity left, pinned,
    ruled out) are skipped: people without capacity get potentials that no
    pair can beat, the others are filtered out exactly.
    """
    n = space.n
    big = space.max_gain + space.lift + 1
    dm = np.where(space.dead_rows, big + max(0, int(d_m.max(initial=0))), d_m)
    de = np.where(space.dead_cols, int(d_e.min(initial=0)) - big, d_e)
    span = max(abs(int(dm.min(initial=0))), abs(int(dm.max(initial=0))), abs(int(de.min(initial=0)))) + big
    dtype = np.int32 if 4 * span < (1 << 31) else np.int64  # halves the memory traffic when safe
    lut = (space.level_gain + space.lift).astype(dtype)
    de, dm = de.astype(dtype), dm.astype(dtype)
    outside = _sorted_unique(np.r_[keys, space.pin_keys])

    if space.parts is not None:
        if space.block_bound is None or space.block_bound.lift != space.lift:
            space.block_bound = BlockBound(space.builtin, space.parts, space.lift)
        failing = space.block_bound.failing(dm.astype(np.int64), de.astype(np.int64))
        if failing[3] <= BLOCK_SHARE * space.m * n:  # else scoring every pair is cheaper
            return _certify_blocks(space, outside, dm.astype(np.int64), de.astype(np.int64), per_row, failing)
    fast = space.parts is not None and not space.has_rules
    if fast:
        space.parts = tuple(x.astype(dtype) for x in space.parts)

    def run(start: int, stop: int):
        if fast:
            red = space.reduced_costs(start, stop, dm, de)
            allowed = red.size
        else:
            if space.has_rules or not space.coded:
                gain, allowed = space.gains(start, stop)
                red = gain.astype(dtype)
                red[gain <= _EXCLUDED] = np.iinfo(dtype).min // 2
            else:
                red = np.take(lut, space.builtin.levels(slice(start, stop), slice(None)))
                allowed = red.size
            red += de
            red -= dm[start:stop, None]
        hit = red > 0
        if not hit.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64), allowed
        r, c = np.nonzero(hit)
        v = red[r, c].astype(np.int64)
        ks = (start + r) * n + c
        pos = np.minimum(np.searchsorted(outside, ks), len(outside) - 1)
        new = outside[pos] != ks if len(outside) else np.ones(len(ks), bool)
        return ks[new], v[new], allowed

    parts = list(executor.map(lambda se: run(*se), space.scorer.chunks(CHUNK_CELLS)))
    viol = np.concatenate([p[0] for p in parts])
    vals = np.concatenate([p[1] for p in parts])
    worst = int(vals.max()) if len(vals) else 0
    return _cap(viol, vals, n, per_row), worst, space.m * n, sum(p[2] for p in parts)


def _certify_blocks(space: _PairSpace, outside: np.ndarray, dm: np.ndarray, de: np.ndarray, per_row: int,
                    failing):
    """`_certify` by type blocks (`BlockBound`): whole blocks are certified by a
    bound, the rest pair by pair with exact integer gains."""
    n = space.n
    found_k, found_v, checked = [], [], 0
    for rows, cols, _ in space.block_bound.candidates(failing, dm, de):
        checked += len(rows)
        exact = space.pair_gains(rows, cols) + de[cols] - dm[rows]
        hit = exact > 0
        ks, v = rows[hit] * n + cols[hit], exact[hit]
        if len(outside) and len(ks):
            pos = np.minimum(np.searchsorted(outside, ks), len(outside) - 1)
            new = outside[pos] != ks
            ks, v = ks[new], v[new]
        found_k.append(ks)
        found_v.append(v)
    ks = np.concatenate(found_k) if found_k else np.zeros(0, np.int64)
    v = np.concatenate(found_v) if found_v else np.zeros(0, np.int64)
    if space.has_rules and len(ks):
        ks, v = _allowed_only(space, ks, v)
    worst = int(v.max()) if len(v) else 0
    return _cap(ks, v, n, per_row), worst, checked, None if space.has_rules else space.m * n


def _allowed_only(space: _PairSpace, ks: np.ndarray, v: np.ndarray):
    """Drop pairs a hard rule removes (rule bits from `RuleChecker.block`, row by row)."""
    n = space.n
    keep = np.zeros(len(ks), dtype=bool)
    rows = ks // n
    for i in np.unique(rows).tolist():
        idx = np.flatnonzero(rows == i)
        bits = space.checker.block(slice(i, i + 1), slice(None), space.scorer.block(slice(i, i + 1)))[0]
        keep[idx] = bits[ks[idx] % n] == 0
    return ks[keep], v[keep]


def solve_sparse(problem: Problem, params: SolveParams, scorer: Scorer, scaling: Scaling,
                 runner: ChunkRunner | None = None, started: float | None = None) -> Outcome | None:
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
    space = _PairSpace(problem, scorer, scaling)
    if not space.pins_ok:
        return None
    k = min(params.candidates_per_person, n)
    workers = min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as executor:
        return _run(problem, params, space, k, executor, started)


def _run(problem, params, space: _PairSpace, k: int, executor, started: float) -> Outcome | None:
    m, n = space.m, space.n
    scale = space.scaling.scale
    participation = params.objective == "max_participation"
    if participation:
        # Lexicographic objective: each pair is worth more than any total score.
        space.lift = space.max_gain * min(m, n) + 1
    if space.required and space.has_rules:
        for i, j in space.required:  # pin rule bits come from the same checker
            rows = slice(i, i + 1)
            bits = space.checker.block(rows, slice(None), space.scorer.block(rows))
            if bits[0, j]:
                return None
    rows, cols = _select(space, k, executor, params.seed)
    keys = _unique_arcs(rows, cols, n)
    # Pricing on samples first pays off when a full check is expensive.
    rounds, added, widened, sampling = 0, 0, False, PRICE_ON_SAMPLES and m * n >= PRICE_MIN_PAIRS
    per_row = max(4 * k, 16)
    history: list[dict[str, float]] = []
    timings: dict[str, float] = {"select": time.perf_counter() - started, "solve": 0.0, "potentials": 0.0, "price": 0.0,
                                 "certify": 0.0}
    while True:
        rounds += 1
        t0 = time.perf_counter()
        graph = _graph(space, keys)
        solution = _solve_scaled(graph)
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
        if sampling:
            viol = _sample_violations(space, keys, d_m, d_e, per_row, executor, params.seed + rounds)
            sampling = len(viol) > max(8, (m + n) // PRICE_STOP)  # few left: time for the full check
            timings["price"] += time.perf_counter() - t0
            history.append({"sampled_violations_added": int(len(viol))})
            added += len(viol)
            keys = _sorted_unique(np.r_[keys, viol])
            continue
        viol, worst, checked, allowed = _certify(space, keys, d_m, d_e, per_row, executor)
        timings["certify"] += time.perf_counter() - t0
        history.append({"violating_pairs_added": int(len(viol)), "max_violation": worst / scale})
        if not len(viol):
            break
        if rounds >= MAX_ROUNDS:
            return None
        added += len(viol)
        keys = _sorted_unique(np.r_[keys, viol])
    return _outcome(problem, params, space, graph, solution, started, timings, {
        "method": "sparse",
        "proof": (f"{solution.certificate['proof']} on {len(keys)} candidate pairs; dual potentials of that "
                  f"flow leave no allowed pair with a positive reduced cost (checked against all pairs)"),
        "checked_against_all_pairs": True,
        "candidates_per_person": k,
        "candidates_kept": int(len(keys)),
        "pairs_added": int(added),
        "rounds": rounds,
        "pairs_checked": int(checked),
        "pairs_total": m * n,
        "max_violation": max((h.get("max_violation", 0.0) for h in history), default=0.0),
        "final_max_violation": worst / scale,
        "round_history": history,
        "candidate_pairs": None if allowed is None else int(allowed),  # not counted when rules apply
    })


def _solve_scaled(graph: ArcGraph) -> Solution | None:
    """`solve_flow` on gains divided by their common divisor: the same optimal arcs,
    with a smaller cost range for OR-Tools' cost scaling (fewer phases)."""
    g = int(np.gcd.reduce(graph.gain)) if len(graph.gain) else 1
    if g <= 1:
        return solve_flow(graph)
    scaled = ArcGraph(graph.rows, graph.cols, graph.gain // g, graph.mentor_lo, graph.mentor_hi,
                      graph.mentee_lo, graph.mentee_hi)
    solution = solve_flow(scaled)
    if solution is not None:
        solution.certificate["integer_objective"] *= g
    return solution


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
    return _sorted_unique(np.r_[keys, np.concatenate(extra)]) if extra else keys


def _outcome(problem: Problem, params: SolveParams, space: _PairSpace, graph: ArcGraph, solution: Solution,
             started: float, timings: dict[str, float], certificate: dict[str, Any]) -> Outcome:
    pairs = [(i, j, True) for i, j in space.required]
    pairs += [(int(graph.rows[a]), int(graph.cols[a]), False) for a in solution.chosen]
    max_pairs = int(min(space.mentor_max.sum(), space.mentee_max.sum(), space.m * space.n))
    certificate = {
        **certificate,
        "integer_objective": int(graph.gain[solution.chosen].sum()) - space.lift * len(solution.chosen),
        **space.scaling.describe(),
        "max_pairs": max_pairs,
        "rounding_bound": space.scaling.rounding_bound(max_pairs),
        "pinned_pairs": len(space.required),
    }
    if params.objective == "max_participation":
        certificate["pairs"] = len(solution.chosen)
    candidates = lazy_candidates(problem, space.scorer, space.checker)
    context = SolveContext(problem, LazyScores(space.scorer), candidates, params, space.scaling)
    timings = {**timings, "total": time.perf_counter() - started}
    return Outcome(pairs=tuple(sorted(pairs)), optimal=True, solver=f"{solution.solver}[sparse, certified]",
                   certificate=certificate, context=context, timings=timings)
