"""CP-SAT on the arcs LP duals cannot rule out: large ``max_score`` models with quotas.

1. *Price.* GLOP solves the LP relaxation on each person's best arcs; arcs
   outside with a positive reduced gain join (column generation) until none is
   left. The duals then bound every solution over *all* arcs (`_lpbound`).
2. *Shortcut.* An integral LP optimum that no arc can beat is optimal.
3. *Solve.* CP-SAT solves the model on the priced arcs. An arc outside can
   only matter if the dual bound says it could beat CP-SAT's optimum; those
   join and CP-SAT runs once more. For share quotas, the bound split by the
   number of pairs (`_lpbound.split_bound`) rules out more.

Every proof is over all arcs; None hands the problem to the full model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import SolverError
from ..params import SolveParams
from ._cpsat import restrict, solve_phases
from ._graph import ArcGraph, GroupBound, Solution, top_per_group
from ._lpbound import DualBound, NoBound, lp_dual_bound, rows_for, split_bound

__all__ = ["solve_reduced"]

# Most LP solves while pricing, and CP-SAT solves on the reduced model.
LP_ROUNDS = 8
CPSAT_ROUNDS = 2


@dataclass(frozen=True)
class Priced:
    """The duals of the LP on ``subset`` that leave no arc outside it with a positive reduced gain."""

    dual: DualBound
    subset: np.ndarray
    lp_rounds: int

    def record(self, n_arcs: int, subset: np.ndarray | None = None) -> dict[str, Any]:
        """The certificate's fields on the reduction."""
        return {
            "lp_dual_bound": float(self.dual.bound),
            "lp_objective": self.dual.lp_objective,
            "arcs_total": n_arcs,
            "arcs_in_model": len(self.subset if subset is None else subset),
            "lp_rounds": self.lp_rounds,
        }


def solve_reduced(
    graph: ArcGraph, groups: Sequence[GroupBound], total_pinned: int, params: SolveParams, deadline: float
) -> Solution | None:
    """The ``max_score`` optimum by CP-SAT on the arcs LP duals cannot rule out, proved over all
    arcs; None to fall back to the full model (no LP bound, an infeasible subset, no answer in time)."""
    priced = _price(graph, groups, total_pinned, params.cpsat_start_candidates)
    if priced is None:
        return None
    return _integral(graph, priced, params) or _solve_subset(graph, groups, total_pinned, params, deadline, priced)


def _start(graph: ArcGraph, groups: Sequence[GroupBound], k: int) -> np.ndarray:
    """Each person's ``k`` best arcs, and enough of each group's best to meet its minimum."""
    parts = [top_per_group(graph.rows, graph.gain, k), top_per_group(graph.cols, graph.gain, k)]
    for g in groups:
        if g.min_pairs and len(g.arcs):
            parts.append(g.arcs[np.argsort(-graph.gain[g.arcs], kind="stable")[: 4 * g.min_pairs + 10]])
    return np.unique(np.concatenate(parts))


def _price(graph: ArcGraph, groups: Sequence[GroupBound], total_pinned: int, k: int) -> Priced | None:
    """Column generation until no arc outside the subset prices in (None: no bound within `LP_ROUNDS`)."""
    rows = rows_for(graph, groups, total_pinned)
    subset = _start(graph, groups, k)
    everything = np.arange(len(graph.gain))
    for lp_rounds in range(1, LP_ROUNDS + 1):
        try:
            dual = lp_dual_bound(graph, rows, subset)
        except NoBound:
            return None  # no bound to reduce with: the full model decides
        if dual is None:  # the restricted LP is infeasible: give everyone more arcs
            k *= 2
            wider = np.concatenate([top_per_group(graph.rows, graph.gain, k), top_per_group(graph.cols, graph.gain, k)])
            subset = np.union1d(subset, wider)
            continue
        outside = np.setdiff1d(everything, subset)
        priced = outside[dual.reduced[outside] > 1e-6]
        if not len(priced):
            return Priced(dual, subset, lp_rounds)
        most_improving = priced[np.argsort(-dual.reduced[priced], kind="stable")[: max(len(subset), 2000)]]
        subset = np.union1d(subset, most_improving)
    return None


def _integral(graph: ArcGraph, priced: Priced, params: SolveParams) -> Solution | None:
    """The LP optimum when it is integral and no arc can beat it (then it is an optimal matching)."""
    dual, subset = priced.dual, priced.subset
    if not np.all(np.minimum(dual.values, 1 - dual.values) < 1e-9):
        return None
    pick = subset[dual.values > 0.5]
    incumbent = int(graph.gain[pick].sum())
    if dual.improving(incumbent).any():
        return None
    certificate = {
        "proof": "integral LP optimum; LP duals rule out every other arc",
        "integer_objective": incumbent,
        "integer_bound": dual.bound,
        "gap": 0.0,
        "num_workers": params.num_workers,
        "random_seed": params.seed,
        "phase1_objective": incumbent,
        "phase1_bound": dual.bound,
        **priced.record(len(graph.gain)),
    }
    return Solution(pick, True, "ortools.glop", certificate)


def _solve_subset(
    graph: ArcGraph,
    groups: Sequence[GroupBound],
    total_pinned: int,
    params: SolveParams,
    deadline: float,
    priced: Priced,
) -> Solution | None:
    """CP-SAT on the priced arcs, then once more with the arcs the duals still allow."""
    dual, subset = priced.dual, priced.subset
    hint = np.isin(subset, subset[dual.values > 0.5])
    best: Solution | None = None
    for _ in range(CPSAT_ROUNDS):
        sub_graph, sub_groups = restrict(graph, groups, subset)
        try:
            solution = solve_phases(
                sub_graph, ("gain",), sub_groups, total_pinned, params, hint=hint, deadline=deadline
            )
        except SolverError:
            break
        if not isinstance(solution, Solution):
            return None  # the subset is infeasible: let the full model decide
        chosen = subset[solution.chosen]
        value = int(graph.gain[chosen].sum())
        if best is None or value > int(graph.gain[best.chosen].sum()):
            best = Solution(chosen, False, "ortools.cp_sat+glop", dict(solution.certificate))
        if not solution.optimal:
            break
        missing, proof, extra = _outside_arcs(graph, groups, total_pinned, dual, value, subset)
        if not len(missing):
            certificate = {**solution.certificate, "proof": proof, **extra, **priced.record(len(graph.gain), subset)}
            return Solution(chosen, True, "ortools.cp_sat+glop", certificate)
        subset = np.union1d(subset, missing)
        hint = np.isin(subset, chosen)
    if best is None:
        return None
    # Out of time or rounds: the LP dual bound still bounds every solution over all arcs.
    value = int(graph.gain[best.chosen].sum())
    certificate = {
        **best.certificate,
        "proof": "time limit: best matching found; gap measured against the LP dual bound",
        "integer_objective": value,
        "integer_bound": float(dual.bound),
        "gap": float(max(0.0, dual.bound - value) / max(1.0, dual.bound)),
        **priced.record(len(graph.gain), subset),
    }
    return Solution(best.chosen, False, "ortools.cp_sat+glop", certificate)


def _outside_arcs(
    graph: ArcGraph,
    groups: Sequence[GroupBound],
    total_pinned: int,
    dual: DualBound,
    value: int,
    subset: np.ndarray,
) -> tuple[np.ndarray, str, dict[str, Any]]:
    """Arcs outside ``subset`` that could still be in a solution better than ``value``, the proof
    that rules out the others, and the certificate fields of a split bound when one was needed."""
    missing = np.setdiff1d(np.flatnonzero(dual.improving(value)), subset)
    if not len(missing):
        return missing, "CP-SAT OPTIMAL on every arc that LP duals cannot rule out", {}
    # Share quotas leave a loose LP; bounds split by the number of pairs are tighter.
    split = split_bound(graph, groups, total_pinned, value, subset)
    if split is None:
        return missing, "", {}
    improving, split_max, intervals = split
    return (
        np.setdiff1d(np.flatnonzero(improving), subset),
        "CP-SAT OPTIMAL on every arc that LP bounds, split by pair count, cannot rule out",
        {"split_lp_bound": split_max, "split_intervals_solved": intervals},
    )
