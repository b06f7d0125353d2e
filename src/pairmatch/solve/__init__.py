"""``solve()``: score, apply the hard rules, pick an exact backend, build the result."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..analysis import diagnose, unmatched_people
from ..constraints import Candidates, build_candidates, quota_groups
from ..exceptions import InfeasibleProblemError, PairmatchError
from ..models import Problem
from ..params import SolveParams
from ..result import MatchResult, Pair
from ..scoring import ScoreTable, Scorer
from ._cpsat import GroupBound, solve_cpsat
from ._flow import solve_assignment, solve_flow, solve_maxmin, solve_participation
from ._graph import ArcGraph, Solution
from ._scaling import rounding_bound, to_integer
from ._sparse import solve_sparse

__all__ = ["SolveContext", "solve"]


@dataclass(frozen=True)
class SolveContext:
    """What the solver saw: kept on the result so explanations use the same arrays."""

    problem: Problem
    table: ScoreTable
    candidates: Candidates
    params: SolveParams


def _arc_graph(candidates: Candidates, table: ScoreTable, resolution: int) -> ArcGraph:
    """Free candidate arcs (pins removed) and the capacity left after the pins."""
    allowed = candidates.allowed.copy()
    for i, j in candidates.required:
        allowed[i, j] = False
    rows, cols = np.nonzero(allowed)
    gain = to_integer(table.total[rows, cols], resolution)
    return ArcGraph(rows, cols, gain, *candidates.free_bounds())


def _quota_bounds(problem: Problem, candidates: Candidates, graph: ArcGraph) -> list[GroupBound]:
    """One `GroupBound` per (quota, group): its free arcs and the pins already in it."""
    bounds = []
    for family, quota in enumerate(problem.rules.quotas):
        ends = graph.rows if quota.side == "mentor" else graph.cols
        pinned_ends = [pair[0 if quota.side == "mentor" else 1] for pair in candidates.required]
        for value, members in quota_groups(problem, quota).items():
            bounds.append(GroupBound(
                label=quota.describe(value),
                arcs=np.flatnonzero(members[ends]),
                pinned=int(sum(members[k] for k in pinned_ends)),
                min_pairs=quota.min_pairs, max_pairs=quota.max_pairs, share=quota.share,
                family=family, side=0 if quota.side == "mentor" else 1,
            ))
    return bounds


def _backend(problem: Problem, candidates: Candidates, graph: ArcGraph, params: SolveParams,
             pinned_min: int | None) -> Solution | None:
    backend, objective = params.backend, params.objective
    quotas = problem.rules.quotas
    if quotas and backend in ("assignment", "flow"):
        raise PairmatchError(f"quotas need the CP-SAT backend; backend={backend!r} cannot express them")
    if quotas or backend == "cpsat":
        outcome = solve_cpsat(graph, objective, _quota_bounds(problem, candidates, graph),
                              len(candidates.required), params, pinned_min)
        if isinstance(outcome, list):
            raise InfeasibleProblemError([{
                "rule": "quota_conflict", "people": [], "quotas": outcome,
                "message": "these quotas cannot all hold with the candidates and capacities: "
                           + "; ".join(outcome)}])
        return outcome
    if objective == "max_participation":
        return solve_participation(graph)
    if objective == "maxmin":
        return solve_maxmin(graph, pinned_min)
    if backend == "assignment" and not graph.is_one_to_one:
        raise PairmatchError("backend='assignment' needs one-to-one capacities and no minimums; use 'flow'")
    if backend == "assignment" or (backend == "auto" and graph.is_one_to_one):
        return solve_assignment(graph)
    return solve_flow(graph)


def solve(problem: Problem, params: SolveParams | None = None, *, seed: int | None = None) -> MatchResult:
    """Propose the best matching of ``problem`` under ``params``.

    Parameters
    ----------
    problem : Problem
        People, weights and hard rules.
    params : SolveParams, optional
        Objective and backend; defaults to maximum total score, automatic backend.
    seed : int, optional
        Overrides ``params.seed`` (recorded in the result; exact backends are deterministic).

    Returns
    -------
    MatchResult

    Raises
    ------
    InfeasibleProblemError
        When the hard rules (pins, minimum partners) cannot all hold; its
        ``reasons`` name the people and rules involved.

    Examples
    --------
    >>> from pairmatch.datasets import pilot_problem
    >>> result = solve(pilot_problem())
    >>> [(p.mentor_id, p.mentee_id) for p in result.pairs]
    [('M1', 'O1'), ('M2', 'O2'), ('M3', 'O3')]
    >>> result.status
    'optimal'
    """
    params = params or SolveParams()
    if seed is not None:
        params = params.model_copy(update={"seed": seed})
    started = time.perf_counter()
    # Large problems: certified sparse candidate graph (None = use the dense path below).
    sparse = solve_sparse(problem, params, started)
    if sparse is not None:
        return sparse
    scorer = Scorer(problem)
    table = scorer.table()
    candidates = build_candidates(problem, table, scorer)
    needs_check = candidates.required or _has_minimums(candidates) or problem.rules.quotas
    reasons = diagnose(problem, table, candidates) if needs_check else []
    if reasons:
        raise InfeasibleProblemError(reasons)
    graph = _arc_graph(candidates, table, params.resolution)
    pinned_gains = [int(to_integer(table.total[i, j], params.resolution)) for i, j in candidates.required]
    solution = _backend(problem, candidates, graph, params, min(pinned_gains, default=None))
    if solution is None:
        raise InfeasibleProblemError(diagnose(problem, table, candidates) or [{
            "rule": "bounds_conflict", "people": [],
            "message": "the minimum numbers of partners on both sides cannot be met together"}])
    index_pairs = [(i, j, True) for i, j in candidates.required]
    index_pairs += [(int(graph.rows[k]), int(graph.cols[k]), False) for k in solution.chosen]
    pairs = _pairs(problem, table, sorted(index_pairs))
    certificate = {
        **solution.certificate,
        "resolution": params.resolution,
        "rounding_bound": rounding_bound(len(pairs), params.resolution),
        "pinned_pairs": len(candidates.required),
        "candidate_pairs": int(candidates.allowed.sum()),
    }
    return MatchResult(
        pairs=tuple(pairs),
        unmatched=unmatched_people(problem, table, candidates, [(i, j) for i, j, _ in index_pairs]),
        objective=math.fsum(p.score for p in pairs),
        status="optimal" if solution.optimal else "feasible",
        objective_name=params.objective,
        solver=solution.solver,
        runtime_s=time.perf_counter() - started,
        certificate=certificate,
        seed=params.seed,
        _context=SolveContext(problem, table, candidates, params),
    )


def _has_minimums(candidates: Candidates) -> bool:
    return bool(candidates.mentor_min.any() or candidates.mentee_min.any())


def _pairs(problem: Problem, table: ScoreTable, index_pairs: list[tuple[int, int, bool]]) -> list[Pair]:
    pairs = []
    for i, j, pinned in index_pairs:
        components = table.breakdown(i, j)
        contributions = {k: table.weights[k] * v for k, v in components.items()}
        pairs.append(Pair(problem.mentors[i].id, problem.mentees[j].id, float(table.total[i, j]),
                          components, contributions, pinned))
    return pairs
