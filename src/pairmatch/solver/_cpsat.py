"""CP-SAT backend: for side constraints (quotas, shares) that flows cannot express.

One boolean per candidate arc; capacities and quotas are linear constraints.
Lexicographic objectives are solved in phases, each fixing the optimum of the
previous one, so every phase keeps integer, exactly comparable objectives.
``num_workers`` and ``random_seed`` are pinned from `SolveParams` so runs repeat.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from ..exceptions import PairmatchError, SolverError
from ..objectives import Phase
from ..params import SolveParams
from ._graph import ArcGraph, GroupBound, Solution

__all__ = ["cpsat_solver", "restrict", "solve_phases"]


class _Model:
    """One boolean per arc, capacity rows and quota rows (with assumption literals for diagnosis)."""

    def __init__(
        self, graph: ArcGraph, groups: Sequence[GroupBound], total_pinned: int, assumptions: bool = False
    ) -> None:
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
        self.quota_literals: list[tuple[cp_model.IntVar, GroupBound]] = []
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


def cpsat_solver(params: SolveParams, time_left: float) -> cp_model.CpSolver:
    """A CP-SAT solver with ``params``' workers and seed, and the settings these models need."""
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


def solve_phases(
    graph: ArcGraph,
    phases: tuple[Phase, ...],
    groups: Sequence[GroupBound],
    total_pinned: int,
    params: SolveParams,
    pinned_min: int | None = None,
    hint: np.ndarray | None = None,
    deadline: float | None = None,
) -> Solution | list[str] | None:
    """Solve with CP-SAT in ``phases`` (an objective's `ObjectiveSpec.cpsat_phases`), each fixing
    the optimum of the one before. Returns a `Solution`, or the labels of a set of quotas that
    cannot hold together (CP-SAT's infeasibility core), or None when the capacities alone are
    infeasible. ``pinned_min`` caps the weakest pair (the weakest pin's gain), ``hint`` is a
    starting matching, ``deadline`` (``time.monotonic()``) the end of the time budget."""
    if not phases:
        raise PairmatchError("CP-SAT cannot express this objective; it has no CP-SAT phases")
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
        target, weakest = _target(m, graph, name, pinned_min)
        model.maximize(target)
        solver = cpsat_solver(params, budget)
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
        # Exact integers from the solution, never the objective's double (inexact beyond 2**53).
        value = _phase_value(solver, m, graph, name, weakest)
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
    chosen = _chosen(solver, m)
    best, bound = int(graph.gain[chosen].sum()), solver.best_objective_bound
    all_optimal = all(optimal)
    gap = 0.0 if all_optimal else abs(bound - best) / max(1.0, abs(bound))
    certificate: dict[str, Any] = {
        "proof": "CP-SAT status OPTIMAL in every phase" if all_optimal else "CP-SAT time limit: best bound shown",
        "integer_objective": best,
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


def _target(
    m: _Model, graph: ArcGraph, phase: Phase, pinned_min: int | None
) -> tuple[cp_model.LinearExprT, cp_model.IntVar | None]:
    """What ``phase`` maximises, and the weakest-pair variable it adds (``min`` only)."""
    if phase == "pairs":
        return m.pairs, None
    if phase == "gain":
        return m.gain, None
    # The weakest pair includes pinned ones, so it can never exceed the weakest pin.
    top = int(graph.gain.max(initial=0))
    weakest = m.model.new_int_var(0, top if pinned_min is None else min(top, pinned_min), "weakest")
    for k, var in enumerate(m.x):
        m.model.add(weakest <= int(graph.gain[k])).only_enforce_if(var)
    return weakest, weakest


def _chosen(solver: cp_model.CpSolver, m: _Model) -> np.ndarray:
    return np.array([k for k, var in enumerate(m.x) if solver.boolean_value(var)], dtype=np.int64)


def _phase_value(
    solver: cp_model.CpSolver, m: _Model, graph: ArcGraph, phase: Phase, weakest: cp_model.IntVar | None
) -> int:
    """The value the solution gives ``phase``'s target: the number of pairs, the weakest-pair
    variable or the pairs' total gain."""
    if phase == "min":
        assert weakest is not None
        return int(solver.value(weakest))
    chosen = _chosen(solver, m)
    return len(chosen) if phase == "pairs" else int(graph.gain[chosen].sum())


def _bottleneck(graph: ArcGraph, chosen: np.ndarray, level: int, pinned_min: int | None) -> dict[str, int | None]:
    """The weakest free pair's level and the next level up, at which (the phase being optimal) no
    matching of the same size exists: the fields the flow routine's bisection certifies. With no
    free pair there is no weakest pair, and both are None."""
    if not len(chosen):
        return {"bottleneck_integer": None, "next_level_fails": None}
    levels = np.unique(graph.gain if pinned_min is None else np.minimum(graph.gain, pinned_min))
    above = levels[levels > level]
    return {"bottleneck_integer": level, "next_level_fails": int(above[0]) if len(above) else None}


def restrict(graph: ArcGraph, groups: Sequence[GroupBound], subset: np.ndarray) -> tuple[ArcGraph, list[GroupBound]]:
    """``graph`` and ``groups`` on the arcs ``subset`` only (arc indices renumbered)."""
    local = np.full(len(graph.gain), -1, dtype=np.int64)
    local[subset] = np.arange(len(subset))
    sub_groups = []
    for g in groups:
        inside = local[g.arcs]
        sub_groups.append(replace(g, arcs=inside[inside >= 0]))
    return graph.subgraph(subset), sub_groups


def _conflicting_quotas(
    graph: ArcGraph, groups: Sequence[GroupBound], total_pinned: int, params: SolveParams
) -> list[str] | None:
    """Labels of quotas that together make the model infeasible (None: capacities alone do)."""
    diag = _Model(graph, groups, total_pinned, assumptions=True)
    solver = cpsat_solver(params, params.time_limit_s)
    solver.parameters.num_workers = 1  # infeasibility cores need the sequential search
    status = solver.solve(diag.model)
    if status != cp_model.INFEASIBLE:
        raise SolverError(f"CP-SAT could not confirm infeasibility (status {solver.status_name(status)})")
    labels = {lit.index: group.label for lit, group in diag.quota_literals}
    core = [labels[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in labels]
    return core or None
