"""CP-SAT backend: for side constraints (quotas, shares) that flows cannot express.

One boolean per candidate arc; capacities and quotas are linear constraints.
Lexicographic objectives are solved in phases, each fixing the optimum of the
previous one, so every phase keeps integer, exactly comparable objectives.
``num_workers`` and ``random_seed`` are pinned from `SolveParams` so runs repeat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from ..exceptions import PairmatchError, SolverError
from ..objectives import Phase
from ..params import SolveParams
from ._graph import ArcGraph, Solution, top_per_group

__all__ = ["GroupBound", "solve_cpsat"]


@dataclass(frozen=True)
class GroupBound:
    """A quota on one group: ``pinned + sum(x[arcs]) in [min, max]`` and
    ``pinned + sum(x[arcs]) <= share * (all pinned + sum(x))``."""

    label: str
    arcs: np.ndarray
    pinned: int
    min_pairs: int
    max_pairs: int | None
    share: Fraction | None
    family: int = 0  # index of the quota this group comes from
    side: int = 0  # 0: groups of mentors, 1: groups of mentees


class _Model:
    def __init__(self, graph: ArcGraph, groups: list[GroupBound], total_pinned: int, assumptions: bool = False) -> None:
        self.model = cp_model.CpModel()
        model = self.model
        self.x = [model.new_bool_var(f"x{k}") for k in range(len(graph.gain))]
        self.pairs = cp_model.LinearExpr.sum(self.x)
        self.gain = cp_model.LinearExpr.weighted_sum(self.x, graph.gain.tolist())
        for arcs, lo, hi in graph.person_arcs():
            load = cp_model.LinearExpr.sum([self.x[k] for k in arcs])
            if hi < len(arcs):
                model.add(load <= hi)
            if lo > 0:
                model.add(load >= lo)
        self.quota_literals = []
        for group in groups:
            # Enforcement literals only for diagnosis: as assumptions they let
            # CP-SAT name a set of quotas that cannot hold together.
            enforce = model.new_bool_var(f"quota[{group.label}]") if assumptions else None
            inside = group.pinned + cp_model.LinearExpr.sum([self.x[k] for k in group.arcs])
            constraints = []
            if group.min_pairs:
                constraints.append(model.add(inside >= group.min_pairs))
            if group.max_pairs is not None:
                constraints.append(model.add(inside <= group.max_pairs))
            if group.share is not None:
                share = group.share
                constraints.append(
                    model.add(share.denominator * inside <= share.numerator * (total_pinned + self.pairs))
                )
            if enforce is not None:
                for constraint in constraints:
                    constraint.only_enforce_if(enforce)
                model.add_assumption(enforce)
                self.quota_literals.append((enforce, group))


def _solver(params, time_left: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = params.num_workers
    solver.parameters.random_seed = params.seed
    solver.parameters.max_time_in_seconds = max(time_left, 0.01)
    # Assignment-shaped models are won by the LP relaxation: with one worker the
    # default linearization leaves a loose bound (measured: 60 s without proof
    # vs 17 s to optimality on a 500 x 500 quota instance).
    solver.parameters.linearization_level = 2
    # Presolve's probing and dominance passes cost more than they save on these
    # bipartite models (measured on the LP-reduced 500 x 500 quota models:
    # 5.3 s -> 0.7 s and 8.0 s -> 2.2 s to proven optimality).
    solver.parameters.cp_model_presolve = False
    return solver


def solve_cpsat(
    graph: ArcGraph,
    phases: tuple[Phase, ...],
    groups: list[GroupBound],
    total_pinned: int,
    params: SolveParams,
    pinned_min: int | None = None,
) -> Solution | list[str] | None:
    """Solve with CP-SAT in ``phases`` (an objective's `ObjectiveSpec.cpsat_phases`). Returns a
    `Solution`, or the labels of a set of quotas that cannot hold together (CP-SAT's
    infeasibility core), or None when the capacities alone are infeasible."""
    if not phases:
        raise PairmatchError("CP-SAT cannot express this objective; it has no CP-SAT phases")
    deadline = time.monotonic() + params.time_limit_s  # one budget for every CP-SAT call
    if phases == ("gain",) and len(graph.gain) > params.cpsat_reduce_above:
        reduced = _solve_reduced(graph, groups, total_pinned, params, deadline)
        if reduced is not None:
            return reduced
    return _solve_full(graph, phases, groups, total_pinned, params, pinned_min, deadline=deadline)


def _restrict(graph: ArcGraph, groups: list[GroupBound], subset: np.ndarray):
    local = np.full(len(graph.gain), -1, dtype=np.int64)
    local[subset] = np.arange(len(subset))
    sub_groups = []
    for g in groups:
        inside = local[g.arcs]
        sub_groups.append(
            GroupBound(g.label, inside[inside >= 0], g.pinned, g.min_pairs, g.max_pairs, g.share, g.family, g.side)
        )
    return graph.subgraph(subset), sub_groups


def _solve_reduced(  # noqa: C901
    graph: ArcGraph, groups: list[GroupBound], total_pinned: int, params, deadline: float
) -> Solution | None:
    """CP-SAT on the arcs that LP duals cannot rule out; None to fall back to the full model."""
    from ._lpbound import NoBound, lp_dual_bound, rows_for, split_bound

    rows = rows_for(graph, groups, total_pinned)
    n = len(graph.gain)
    k = params.cpsat_start_candidates
    parts = [top_per_group(graph.rows, graph.gain, k), top_per_group(graph.cols, graph.gain, k)]
    for g in groups:
        if g.min_pairs and len(g.arcs):
            parts.append(g.arcs[np.argsort(-graph.gain[g.arcs], kind="stable")[: 4 * g.min_pairs + 10]])
    subset = np.unique(np.concatenate(parts))
    lp_rounds = 0
    while lp_rounds < 8:
        lp_rounds += 1
        try:
            dual = lp_dual_bound(graph, rows, subset)
        except NoBound:
            return None  # no bound to reduce with: the full model decides
        if dual is None:
            k *= 2
            subset = np.union1d(
                subset,
                np.concatenate([top_per_group(graph.rows, graph.gain, k), top_per_group(graph.cols, graph.gain, k)]),
            )
            continue
        outside = np.setdiff1d(np.arange(n), subset)
        priced = outside[dual.reduced[outside] > 1e-6]
        if len(priced):  # column generation: the restricted LP is not yet the full LP
            most_improving = priced[np.argsort(-dual.reduced[priced], kind="stable")[: max(len(subset), 2000)]]
            subset = np.union1d(subset, most_improving)
            continue
        lp_pick = subset[dual.values > 0.5]
        if np.all(np.minimum(dual.values, 1 - dual.values) < 1e-9):
            # An integral LP optimum is an optimal matching whenever no arc can beat it.
            incumbent = int(graph.gain[lp_pick].sum())
            if not dual.improving(incumbent).any():
                certificate = {
                    "proof": "integral LP optimum; LP duals rule out every other arc",
                    "integer_objective": incumbent,
                    "integer_bound": dual.bound,
                    "gap": 0.0,
                    "num_workers": params.num_workers,
                    "random_seed": params.seed,
                    "phase1_objective": incumbent,
                    "phase1_bound": dual.bound,
                }
                return Solution(
                    lp_pick, True, "ortools.glop", {**certificate, **_reduction(dual, n, subset, lp_rounds)}
                )
        hint = np.isin(subset, lp_pick)
        best: Solution | None = None
        for _ in range(2):  # the LP-reduced model, then once more with the arcs the duals still allow
            sub_graph, sub_groups = _restrict(graph, groups, subset)
            try:
                solution = _solve_full(
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
            missing = np.setdiff1d(np.flatnonzero(dual.improving(value)), subset)
            proof = "CP-SAT OPTIMAL on every arc that LP duals cannot rule out"
            extra: dict = {}
            if len(missing):
                # Share quotas leave a loose LP; bounds split by the number of pairs are tighter.
                split = split_bound(graph, groups, total_pinned, value, subset)
                if split is not None:
                    improving, split_max, intervals = split
                    missing = np.setdiff1d(np.flatnonzero(improving), subset)
                    proof = "CP-SAT OPTIMAL on every arc that LP bounds, split by pair count, cannot rule out"
                    extra = {"split_lp_bound": split_max, "split_intervals_solved": intervals}
            if not len(missing):
                certificate = {**solution.certificate, "proof": proof, **extra}
                return Solution(
                    chosen, True, "ortools.cp_sat+glop", {**certificate, **_reduction(dual, n, subset, lp_rounds)}
                )
            hint = np.isin(np.union1d(subset, missing), chosen)
            subset = np.union1d(subset, missing)
        if best is None:
            return None
        # Out of time: the LP dual bound still bounds every solution over all arcs.
        value = int(graph.gain[best.chosen].sum())
        certificate = {
            **best.certificate,
            "proof": "time limit: best matching found; gap measured against the LP dual bound",
            "integer_objective": value,
            "integer_bound": float(dual.bound),
            "gap": float(max(0.0, dual.bound - value) / max(1.0, dual.bound)),
        }
        return Solution(
            best.chosen, False, "ortools.cp_sat+glop", {**certificate, **_reduction(dual, n, subset, lp_rounds)}
        )
    return None


def _reduction(dual, n: int, subset: np.ndarray, lp_rounds: int) -> dict:
    return {
        "lp_dual_bound": float(dual.bound),
        "lp_objective": dual.lp_objective,
        "arcs_total": n,
        "arcs_in_model": len(subset),
        "lp_rounds": lp_rounds,
    }


def _solve_full(
    graph: ArcGraph,
    phases: tuple[Phase, ...],
    groups: list[GroupBound],
    total_pinned: int,
    params,
    pinned_min: int | None = None,
    hint: np.ndarray | None = None,
    deadline: float | None = None,
) -> Solution | list[str] | None:
    m = _Model(graph, groups, total_pinned)
    model, x = m.model, m.x
    if hint is not None:
        for var, value in zip(x, hint.tolist(), strict=True):
            model.add_hint(var, value)
    budget = params.time_limit_s if deadline is None else deadline - time.monotonic()
    optimal: list[bool] = []
    bounds: dict[str, float] = {}
    solver = None
    for phase, name in enumerate(phases):
        target = _target(m, graph, name, pinned_min)
        model.maximize(target)
        solver = _solver(params, budget)
        status = solver.solve(model)
        budget -= solver.wall_time
        if status == cp_model.INFEASIBLE:
            if phase:
                raise SolverError("CP-SAT found a later phase infeasible after an earlier one was solved")
            return _conflicting_quotas(graph, groups, total_pinned, params)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise SolverError(
                f"CP-SAT found no solution within {params.time_limit_s} s "
                f"(status {solver.status_name(status)}); raise SolveParams.time_limit_s"
            )
        value = round(solver.objective_value)
        bounds[f"phase{phase + 1}_objective"] = value
        bounds[f"phase{phase + 1}_bound"] = float(solver.best_objective_bound)
        optimal.append(status == cp_model.OPTIMAL)
        if phase < len(phases) - 1:
            # Fix this phase's optimum before optimising the next criterion.
            model.add(target >= value)
            model.clear_hints()
            for var in x:
                model.add_hint(var, solver.boolean_value(var))
    assert solver is not None
    chosen = np.array([k for k, var in enumerate(x) if solver.boolean_value(var)], dtype=np.int64)
    best, bound = solver.objective_value, solver.best_objective_bound
    all_optimal = all(optimal)
    gap = 0.0 if all_optimal else abs(bound - best) / max(1.0, abs(bound))
    certificate: dict[str, Any] = {
        "proof": "CP-SAT status OPTIMAL in every phase" if all_optimal else "CP-SAT time limit: best bound shown",
        "integer_objective": round(best),
        "integer_bound": float(bound),
        "gap": float(gap),
        "num_workers": params.num_workers,
        "random_seed": params.seed,
        **bounds,
    }
    if "pairs" in phases:
        certificate["pairs"] = len(chosen)
    if "min" in phases:
        phase = phases.index("min")
        certificate.update(_bottleneck(graph, chosen, int(bounds[f"phase{phase + 1}_objective"]), pinned_min))
        if not optimal[phase]:
            certificate["next_level_fails"] = None  # not proved: the phase ran out of time
    return Solution(chosen, all_optimal, "ortools.cp_sat", certificate)


def _target(m: _Model, graph: ArcGraph, phase: Phase, pinned_min: int | None) -> cp_model.LinearExprT:
    """What ``phase`` maximises (adding the weakest-pair variable for ``min``)."""
    if phase == "pairs":
        return m.pairs
    if phase == "gain":
        return m.gain
    # The weakest pair includes pinned ones, so it can never exceed the weakest pin.
    top = int(graph.gain.max(initial=0))
    weakest = m.model.new_int_var(0, top if pinned_min is None else min(top, pinned_min), "weakest")
    for k, var in enumerate(m.x):
        m.model.add(weakest <= int(graph.gain[k])).only_enforce_if(var)
    return weakest


def _bottleneck(graph: ArcGraph, chosen: np.ndarray, level: int, pinned_min: int | None) -> dict[str, int | None]:
    """The weakest free pair's level and the next level up, at which (the phase being optimal) no
    matching of the same size exists: the fields the flow routine's bisection certifies. With no
    free pair there is no weakest pair, and both are None."""
    if not len(chosen):
        return {"bottleneck_integer": None, "next_level_fails": None}
    levels = np.unique(graph.gain if pinned_min is None else np.minimum(graph.gain, pinned_min))
    above = levels[levels > level]
    return {"bottleneck_integer": level, "next_level_fails": int(above[0]) if len(above) else None}


def _conflicting_quotas(graph: ArcGraph, groups: list[GroupBound], total_pinned: int, params) -> list[str] | None:
    """Labels of quotas that together make the model infeasible (None: capacities alone do)."""
    diag = _Model(graph, groups, total_pinned, assumptions=True)
    solver = _solver(params, params.time_limit_s)
    solver.parameters.num_workers = 1  # infeasibility cores need the sequential search
    status = solver.solve(diag.model)
    if status != cp_model.INFEASIBLE:
        raise SolverError(f"CP-SAT could not confirm infeasibility (status {solver.status_name(status)})")
    labels = {lit.index: group.label for lit, group in diag.quota_literals}
    core = [labels[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in labels]
    return core or None
