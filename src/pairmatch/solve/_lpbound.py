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

from dataclasses import dataclass

import numpy as np
from ortools.linear_solver.python import model_builder as mb

from ._graph import ArcGraph

__all__ = ["DualBound", "lp_dual_bound"]

INF = float("inf")


@dataclass(frozen=True)
class Row:
    arcs: np.ndarray          # arc indices with a non-zero coefficient
    coef: np.ndarray | float  # coefficients on those arcs
    total_coef: float         # coefficient on every arc (share rows: -numerator)
    lb: float
    ub: float


def rows_for(graph: ArcGraph, groups, total_pinned: int) -> list[Row]:
    """Capacity and quota rows over the free arcs (pins moved to the bounds)."""
    rows: list[Row] = []
    for arcs, lo, hi in graph.person_arcs():
        if len(arcs) and (hi < len(arcs) or lo > 0):
            rows.append(Row(arcs, 1.0, 0.0, float(lo), float(hi)))
    for group in groups:
        lb = group.min_pairs - group.pinned if group.min_pairs else -INF
        ub = group.max_pairs - group.pinned if group.max_pairs is not None else INF
        if lb > -INF or ub < INF:
            rows.append(Row(group.arcs, 1.0, 0.0, lb, ub))
        if group.share is not None:
            # den * (pinned + inside) <= num * (all pinned + all)  ->  den*inside - num*all <= ...
            num, den = group.share.numerator, group.share.denominator
            rows.append(Row(group.arcs, float(den), float(-num), -INF,
                            float(num * total_pinned - den * group.pinned)))
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
    helper.add_var_array_with_bounds(np.zeros(len(subset)), np.ones(len(subset)), np.zeros(len(subset), dtype=bool), "x")
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
    if status != mb.SolveStatus.OPTIMAL:
        return None
    duals = np.array([solver.dual_value(model.linear_constraint_from_index(r)) for r in range(len(rows))])
    reduced = gain.copy()
    bound = 0.0
    for y, row in zip(duals, rows):
        if y == 0:
            continue
        if row.total_coef:
            reduced -= y * row.total_coef
        reduced[row.arcs] -= y * row.coef
        side = row.ub if y > 0 else row.lb
        if not np.isfinite(side):
            return None  # dual on an unbounded side: no valid bound from these duals
        bound += y * side
    bound += float(np.maximum(reduced, 0).sum())
    values = np.array([solver.value(v) for v in variables])
    return DualBound(reduced, bound, float(solver.objective_value), values)
