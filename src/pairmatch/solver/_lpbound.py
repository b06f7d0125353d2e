"""LP duals that prove most candidate arcs useless before CP-SAT sees them.

For any row duals ``y`` (from GLOP on a subset of arcs), every integer
solution ``x`` of the full model satisfies

    gain(x) <= DB + sum(d[a] for a in x if d[a] < 0),
    d = gain - A.T @ y,   DB = sum_r max(y_r * lb_r, y_r * ub_r) + sum_a max(d_a, 0)

(weak Lagrangian duality; it holds for *any* ``y``, so GLOP's tolerances can
only make the reduction weaker, never wrong). Once CP-SAT has found a
solution of value ``z``, an arc with ``DB + d[a] < z`` cannot be part of any
better solution and is left out. Rows are the capacity bounds and quota
bounds of `_cpsat._Model`, written here as numpy coefficient blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from ._graph import ArcGraph, GroupBound

__all__ = [
    "DualBound",
    "Interval",
    "NoBound",
    "Row",
    "lp_dual_bound",
    "priced_bound",
    "rows_for",
    "share_intervals",
    "split_bound",
]

INF = float("inf")


class NoBound(Exception):
    """The LP was not solved to optimality, so it gives no bound.

    Kept apart from an infeasible LP (None), which does rule a case out: treating "no bound"
    as "infeasible" could discard arcs that improve the answer and so break the proof."""


@dataclass(frozen=True)
class Row:
    arcs: np.ndarray  # arc indices with a non-zero coefficient
    coef: np.ndarray | float  # coefficients on those arcs
    total_coef: float  # coefficient on every arc (share rows: -numerator)
    lb: float
    ub: float


def rows_for(graph: ArcGraph, groups: Sequence[GroupBound], total_pinned: int, shares: bool = True) -> list[Row]:
    """Capacity and quota rows over the free arcs (pins moved to the bounds);
    ``shares=False`` leaves out the share rows (`split_bound` replaces them)."""
    rows: list[Row] = []
    for arcs, lo, hi in graph.person_arcs():
        if len(arcs) and (hi < len(arcs) or lo > 0):
            rows.append(Row(arcs, 1.0, 0.0, float(lo), float(hi)))
    for group in groups:
        lb = group.min_pairs - group.pinned if group.min_pairs else -INF
        ub = group.max_pairs - group.pinned if group.max_pairs is not None else INF
        if lb > -INF or ub < INF:
            rows.append(Row(group.arcs, 1.0, 0.0, lb, ub))
        if group.share is not None and shares:
            # den * (pinned + inside) <= num * (all pinned + all)  ->  den*inside - num*all <= ...
            num, den = group.share.numerator, group.share.denominator
            rows.append(Row(group.arcs, float(den), float(-num), -INF, float(num * total_pinned - den * group.pinned)))
    return rows


@dataclass(frozen=True)
class DualBound:
    """Reduced gains of every arc and the Lagrangian bound they certify."""

    reduced: np.ndarray
    bound: float
    lp_objective: float
    values: np.ndarray  # LP solution on the subset's arcs

    def improving(self, incumbent: int) -> np.ndarray:
        """Arcs that could appear in a solution strictly better than ``incumbent``.

        Gains are integers, so a better solution gains at least ``incumbent + 1``;
        the small slack absorbs float rounding in the bound's arithmetic.
        """
        return self.bound + self.reduced >= incumbent + 1 - 1e-3


def lp_dual_bound(graph: ArcGraph, rows: list[Row], subset: np.ndarray) -> DualBound | None:
    """Solve the LP relaxation on ``subset`` of arcs with GLOP and price all arcs.

    Returns None when the restricted LP is infeasible (the caller widens the subset).
    """
    gain = graph.gain.astype(float)
    local = np.full(len(gain), -1, dtype=np.int64)
    local[subset] = np.arange(len(subset))
    model = mb.ModelBuilder()
    helper = model.helper
    first = helper.num_variables()
    size = len(subset)
    helper.add_var_array_with_bounds(np.zeros(size), np.ones(size), np.zeros(size, dtype=bool), "x")  # type: ignore[arg-type]
    index = first + np.arange(len(subset))
    helper.set_objective_coefficients(index.tolist(), gain[subset].tolist())
    helper.set_maximize(True)
    variables = [model.var_from_index(int(i)) for i in index]
    for row in rows:
        ct = helper.add_linear_constraint()
        helper.set_constraint_lower_bound(ct, row.lb)
        helper.set_constraint_upper_bound(ct, row.ub)
        coef = np.zeros(len(subset))
        if row.total_coef:
            coef += row.total_coef
        inside = local[row.arcs]
        mask = inside >= 0
        coef[inside[mask]] += row.coef if np.isscalar(row.coef) else np.asarray(row.coef)[mask]
        nz = np.flatnonzero(coef)
        if len(nz):
            helper.add_terms_to_constraint(ct, [variables[i] for i in nz], coef[nz].tolist())
    solver = mb.Solver("glop")
    status = solver.solve(model)
    if status == mb.SolveStatus.INFEASIBLE:
        return None
    if status != mb.SolveStatus.OPTIMAL:
        raise NoBound(f"GLOP status {status.name}")
    duals = np.array([solver.dual_value(model.linear_constraint_from_index(r)) for r in range(len(rows))])
    reduced = gain.copy()
    bound = 0.0
    for y, row in zip(duals, rows, strict=True):
        side = row.ub if y > 0 else row.lb
        if y == 0 or not np.isfinite(side):
            # A dual on an unbounded side (sign noise) is taken as 0: the bound below holds for
            # any duals of the right signs, as long as the reduced gains use the same ones.
            continue
        if row.total_coef:
            reduced -= y * row.total_coef
        reduced[row.arcs] -= y * row.coef
        bound += y * side
    bound += float(np.maximum(reduced, 0).sum())
    values = np.array([solver.value(v) for v in variables])
    return DualBound(reduced, bound, float(solver.objective_value), values)


def priced_bound(
    graph: ArcGraph, rows: list[Row], subset: np.ndarray, max_rounds: int = 8
) -> tuple[DualBound | None, np.ndarray]:
    """Column generation: solve on ``subset``, add arcs with positive reduced gain, repeat.

    Returns the last duals (a valid bound even if rounds run out) and the grown
    subset. None means the LP restricted to the subset is infeasible, which says
    nothing about the full LP. Raises `NoBound` as `lp_dual_bound` does.
    """
    n = len(graph.gain)
    dual = None
    for _ in range(max_rounds):
        dual = lp_dual_bound(graph, rows, subset)
        if dual is None:
            return None, subset
        inside = np.zeros(n, dtype=bool)
        inside[subset] = True
        priced = np.flatnonzero(~inside & (dual.reduced > 1e-6))
        if not len(priced):
            break
        top = priced[np.argsort(-dual.reduced[priced], kind="stable")[: max(len(subset), 2000)]]
        subset = np.union1d(subset, top)
    return dual, subset


@dataclass(frozen=True)
class Interval:
    """Free pair counts ``lo..hi`` over which every share quota's rounded cap is ``caps``."""

    lo: int
    hi: int
    caps: tuple[int, ...]


def share_intervals(shares: Sequence[GroupBound], total_pinned: int, top: int) -> list[Interval]:
    """The pair counts ``0..top`` cut where some share quota's rounded cap changes.

    For ``T`` free pairs, ``den * (pinned + inside) <= num * (all pinned + T)`` is
    ``inside <= floor(num * (all pinned + T) / den) - pinned``, constant between the cuts.
    """

    def caps(t: int) -> tuple[int, ...]:
        out = []
        for g in shares:
            assert g.share is not None
            out.append((g.share.numerator * (total_pinned + t)) // g.share.denominator - g.pinned)
        return tuple(out)

    intervals: list[Interval] = []
    start, current = 0, caps(0)
    for t in range(1, top + 1):
        if caps(t) != current:
            intervals.append(Interval(start, t - 1, current))
            start, current = t, caps(t)
    intervals.append(Interval(start, top, current))
    return intervals


@dataclass(frozen=True)
class _Split:
    """What the interval bounds of `split_bound` share."""

    graph: ArcGraph
    shares: list[GroupBound]
    base: list[Row]
    subset: np.ndarray

    def bound(self, lo: float, hi: int, caps: tuple[int, ...]) -> DualBound | None:
        """The LP bound with at least ``lo`` and at most ``hi`` free pairs and each share group
        under its cap; None when no matching fits. Raises `NoBound`."""
        if min(caps) < 0:
            return None
        every = np.arange(len(self.graph.gain))
        rows = [
            *self.base,
            Row(every, 1.0, 0.0, lo, float(hi)),
            *(Row(g.arcs, 1.0, 0.0, -INF, float(c)) for g, c in zip(self.shares, caps, strict=True)),
        ]
        dual, _ = priced_bound(self.graph, rows, self.subset)
        if dual is None:  # the restricted LP may lack arcs; only the full LP can say "infeasible"
            dual = lp_dual_bound(self.graph, rows, every)
        return dual

    def most_pairs(self, caps: tuple[int, ...]) -> int:
        """Free pairs possible at most under ``caps``: per share quota, each group gives at most
        its cap or its people's capacity, everyone outside the quota's groups their capacity."""
        graph = self.graph
        his = (graph.mentor_hi, graph.mentee_hi)
        totals: dict[int, int] = {}
        covered: dict[int, np.ndarray] = {}
        for g, cap in zip(self.shares, caps, strict=True):
            people = np.unique((graph.rows, graph.cols)[g.side][g.arcs])
            inside = covered.setdefault(g.family, np.zeros(len(his[g.side]), dtype=bool))
            inside[people] = True
            totals[g.family] = totals.get(g.family, 0) + min(cap, int(his[g.side][people].sum()))
        sides = {g.family: g.side for g in self.shares}
        for family, inside in covered.items():
            totals[family] += int(his[sides[family]][~inside].sum())
        return min(graph.max_pairs(), *totals.values())


def split_bound(
    graph: ArcGraph,
    groups: Sequence[GroupBound],
    total_pinned: int,
    incumbent: int,
    subset: np.ndarray,
    max_intervals: int = 12,
) -> tuple[np.ndarray, float, int] | None:
    """Tighter bounds for share quotas by splitting on the number of pairs.

    ``den * inside <= num * total`` is a weak LP row. For a fixed number of
    free pairs ``T`` it becomes ``inside <= floor(num * (pinned + T) / den) -
    pinned_in_group``, a valid rounding that is constant on intervals of ``T``
    (`share_intervals`). Each interval gets its own LP (cardinality row plus
    rounded caps); the optimum is at most the largest interval bound.
    Intervals are pruned from below by bisection: relaxing an interval to "at
    most ``b`` pairs" gives a bound that only grows with ``b``. Returns the
    arcs that could still beat ``incumbent`` in some interval, the largest
    bound and the number of intervals solved, or None when too many intervals
    survive or an LP gives no bound.
    """
    shares = [g for g in groups if g.share is not None]
    if not shares:
        return None
    split = _Split(graph, shares, rows_for(graph, groups, total_pinned, shares=False), subset)
    intervals = share_intervals(shares, total_pinned, graph.max_pairs())

    def beats(dual: DualBound | None) -> bool:
        return dual is not None and dual.bound >= incumbent + 1 - 1e-3

    try:
        first, solved = _first_beating(intervals, lambda i: beats(split.bound(-INF, i.hi, i.caps)))
        survivors = intervals[first:]
        if len(survivors) > max_intervals:
            return None
        improving = np.zeros(len(graph.gain), dtype=bool)
        best = float(incumbent)
        for interval in survivors:
            if interval.lo > split.most_pairs(interval.caps):
                continue  # no matching has that many pairs under these caps
            solved += 1
            dual = split.bound(float(interval.lo), interval.hi, interval.caps)
            if dual is not None and beats(dual):
                improving |= dual.improving(incumbent)
                best = max(best, dual.bound)
    except NoBound:
        return None  # the caller keeps the unsplit bound, which is valid
    return improving, best, solved


def _first_beating(intervals: list[Interval], beats: Callable[[Interval], bool]) -> tuple[int, int]:
    """Bisection for the first interval whose "at most ``hi`` pairs" relaxation ``beats`` the
    incumbent (the relaxations only grow with ``hi``); and how many were tried."""
    lo, hi, tried = 0, len(intervals), 0
    while lo < hi:
        mid = (lo + hi) // 2
        tried += 1
        if beats(intervals[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo, tried
