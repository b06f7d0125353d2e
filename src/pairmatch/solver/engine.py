"""Score, apply the hard rules, pick an exact backend, return an `Outcome`.

Large problems take the certified sparse path (`_sparse`); everything else is
scored densely and solved by the backend the objective and rules call for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import numpy as np

from ..certificates import Family
from ..constraints import Candidates, build_candidates, quota_groups
from ..exceptions import InfeasibleProblemError, PairmatchError, SolverError
from ..models import Problem
from ..objectives import BACKENDS, OBJECTIVES, ObjectiveSpec
from ..params import SolveParams
from ..scoring import ChunkRunner, Scorer, ScoreTable, as_runner, score_table
from ._cpsat import solve_phases
from ._flow import solve_assignment, solve_flow, solve_maxmin, solve_participation
from ._graph import ArcGraph, GroupBound, Solution, with_pinned
from ._profiles import profiles_of, solve_profiles, why_not_profiles
from ._reduced import solve_reduced
from ._sparse import SPARSE_MIN_PAIRS, SparseEnd, solve_sparse, why_not_sparse
from .contracts import Outcome, SolveContext
from .diagnosis import diagnose
from .lists import run_stable, stable_groups
from .proofs import build_certificate, noted
from .scaling import Scaling, scaling_for, with_exact_scores

__all__ = ["choose_method", "run"]


def _arc_graph(candidates: Candidates, table: ScoreTable, scaling: Scaling) -> ArcGraph:
    """Free candidate arcs (pins removed) and the capacity left after the pins."""
    allowed = candidates.allowed.copy()
    for i, j in candidates.required:
        allowed[i, j] = False
    rows, cols = np.nonzero(allowed)
    gain = scaling.to_integer(table.total[rows, cols])
    return ArcGraph(rows, cols, gain, *candidates.free_bounds())


def _quota_bounds(problem: Problem, candidates: Candidates, graph: ArcGraph) -> list[GroupBound]:
    """One `GroupBound` per (quota, group): its free arcs and the pins already in it."""
    bounds = []
    for family, quota in enumerate(problem.rules.quotas):
        ends = graph.rows if quota.side == "mentor" else graph.cols
        pinned_ends = [pair[0 if quota.side == "mentor" else 1] for pair in candidates.required]
        for value, members in quota_groups(problem, quota).items():
            bounds.append(
                GroupBound(
                    label=quota.describe(value),
                    arcs=np.flatnonzero(members[ends]),
                    pinned=int(sum(members[k] for k in pinned_ends)),
                    min_pairs=quota.min_pairs,
                    max_pairs=quota.max_pairs,
                    share=quota.share,
                    family=family,
                    side=0 if quota.side == "mentor" else 1,
                )
            )
    return bounds


def _backend(
    problem: Problem,
    candidates: Candidates,
    graph: ArcGraph,
    spec: ObjectiveSpec,
    params: SolveParams,
    pinned_min: int | None,
) -> tuple[Solution | None, Family]:
    """Solve ``graph`` for ``spec`` with the backend ``params`` asks for (CP-SAT whenever there
    are quotas); returns the solution (None: the lower bounds cannot be met) and the
    certificate family of the backend that ran."""
    backend = params.backend
    quotas = problem.rules.quotas
    if quotas and not BACKENDS[backend].quotas:
        raise PairmatchError(f"quotas need the CP-SAT backend; backend={backend!r} cannot express them")
    if quotas or backend == "cpsat":
        outcome = _solve_cpsat(
            graph,
            spec,
            _quota_bounds(problem, candidates, graph),
            len(candidates.required),
            params,
            pinned_min,
        )
        if isinstance(outcome, list):
            raise InfeasibleProblemError(
                [
                    {
                        "rule": "quota_conflict",
                        "people": [],
                        "quotas": outcome,
                        "message": "these quotas cannot all hold with the candidates and capacities: "
                        + "; ".join(outcome),
                    }
                ]
            )
        return _labelled(outcome, "cpsat"), "cpsat"
    return _EXACT[spec.algorithm](graph, backend, pinned_min), "dense"


def _solve_cpsat(
    graph: ArcGraph,
    spec: ObjectiveSpec,
    groups: list[GroupBound],
    total_pinned: int,
    params: SolveParams,
    pinned_min: int | None,
) -> Solution | list[str] | None:
    """CP-SAT in ``spec``'s phases; a large single-phase model is first reduced by LP duals.
    One time budget covers every CP-SAT call."""
    deadline = time.monotonic() + params.time_limit_s
    if spec.cpsat_phases == ("gain",) and len(graph.gain) > params.cpsat_reduce_above:
        reduced = solve_reduced(graph, groups, total_pinned, params, deadline)
        if reduced is not None:
            return reduced
        if time.monotonic() >= deadline:
            # Building the full model of this many arcs would cost memory with no time left to solve it.
            raise SolverError(
                f"CP-SAT: pricing {len(graph.gain):,} candidate pairs by LP duals used the whole time limit "
                f"({params.time_limit_s:g} s) before the model could be solved; raise SolveParams.time_limit_s "
                "or narrow the candidates (rules, min_score)"
            )
    return solve_phases(graph, spec.cpsat_phases, groups, total_pinned, params, pinned_min, deadline=deadline)


def _labelled(solution: Solution | None, backend: str) -> Solution | None:
    if solution is None:
        return None
    return replace(solution, certificate={**solution.certificate, "backend": backend})


def _max_weight(graph: ArcGraph, backend: str, pinned_min: int | None) -> Solution | None:
    if backend == "assignment" and not graph.is_one_to_one:
        raise PairmatchError("backend='assignment' needs one-to-one capacities and no minimums; use 'flow'")
    if backend == "assignment" or (backend == "auto" and graph.is_one_to_one):
        return _labelled(solve_assignment(graph), "assignment")
    return _labelled(solve_flow(graph), "flow")


# The exact routine of each algorithm without side constraints (`ObjectiveSpec.algorithm`).
_EXACT: dict[str, Callable[[ArcGraph, str, int | None], Solution | None]] = {
    "max_weight": _max_weight,
    "participation": lambda graph, backend, pinned_min: _labelled(solve_participation(graph), "flow"),
    "maxmin": lambda graph, backend, pinned_min: _labelled(solve_maxmin(graph, pinned_min), "flow"),
}


def max_pairs(candidates: Candidates | Any, n_arcs: int) -> int:
    """An upper bound on the number of pairs any matching can have."""
    return int(min(candidates.mentor_max.sum(), candidates.mentee_max.sum(), n_arcs))


# The profile path pays off when it has at most this many profile pairs per person.
PROFILE_PAIRS_PER_PERSON = 8


def choose_method(problem: Problem, params: SolveParams, scorer: Scorer) -> tuple[str, str, Any]:
    """``(method, why, profiles)``: the path ``run`` takes first for ``problem`` under
    ``params`` (``profiles`` is the grouping when that path is chosen)."""
    m, n = problem.shape
    if params.method == "dense":
        return "dense", "requested", None
    blocker = why_not_sparse(problem, params)
    if blocker is not None:
        return "dense", f"{blocker} needs the dense path", None
    if params.method in ("profiles", "auto") and (params.method == "profiles" or m * n >= SPARSE_MIN_PAIRS):
        blocker = why_not_profiles(problem, params, scorer)
        if blocker is None:
            profiles = profiles_of(problem, scorer)
            if params.method == "profiles" or profiles.pairs <= PROFILE_PAIRS_PER_PERSON * max(m, n):
                return (
                    "profiles",
                    (f"{profiles.n_rows:,} x {profiles.n_cols:,} profiles for {m:,} x {n:,} people"),
                    profiles,
                )
            blocker = f"{profiles.n_rows:,} x {profiles.n_cols:,} profiles: too few repeats"
        if params.method == "profiles":
            return ("sparse" if m * n >= SPARSE_MIN_PAIRS else "dense"), f"profiles not usable: {blocker}", None
    if params.method == "sparse":
        return "sparse", "requested", None
    listed = scorer.custom.listed_keys()
    if listed is not None:
        return "sparse", f"{len(listed):,} listed pairs of {m * n:,}: only those can match", None
    if m * n < SPARSE_MIN_PAIRS:
        return "dense", f"{m * n:,} pairs: below the sparse threshold of {SPARSE_MIN_PAIRS:,}", None
    return "sparse", f"{m * n:,} pairs: at or above the sparse threshold of {SPARSE_MIN_PAIRS:,}", None


def run(problem: Problem, params: SolveParams | None = None, executor: Executor | ChunkRunner | None = None) -> Outcome:
    """Solve ``problem`` exactly; raises `InfeasibleProblemError` with reasons when
    the hard rules cannot all hold.

    The certificate's ``method`` names the path that produced the answer;
    when a path hands over to another one, ``switched_from`` and
    ``switch_reason`` say so.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    runner = as_runner(executor) if executor is not None else None
    scorer = Scorer(problem)
    scaling = scaling_for(scorer, params)
    spec = OBJECTIVES[params.objective]
    if spec.algorithm == "deferred_acceptance":
        stable = _stable(problem, params, scorer, scaling, runner, started)
        if params.method == "dense":
            return stable
        # Say so rather than ignore the method asked for.
        reason = "the stable objective scores every pair: deferred acceptance reads whole preference lists"
        return _noted(stable, {"method_requested": params.method, "method_reason": reason})
    method, why, profiles = choose_method(problem, params, scorer)
    note: dict[str, Any] = {}
    if params.method != method:
        note = {"method_requested": params.method, "method_reason": why}
    if method == "profiles":
        outcome = solve_profiles(problem, params, scorer, scaling, profiles, started)
        if outcome is not None:
            return _noted(outcome, note)
        note = {**note, "switched_from": "profiles", "switch_reason": "profile capacities cannot be met"}
        method = "dense"
    if method == "sparse":
        try:
            sparse = solve_sparse(problem, params, scorer, scaling, runner, started)
        except SparseEnd as end:
            m, n = problem.shape
            if params.on_round_budget == "stop" or m * n > params.dense_max_pairs:
                assert end.outcome is not None
                return _noted(end.outcome, note)
            note = {**note, "switched_from": "sparse", "switch_reason": f"{end.reason} after {end.rounds} rounds"}
        else:
            if sparse is not None:
                return _noted(sparse, note)
            empty = 0 in problem.shape  # nothing to select candidates from
            note = {
                **note,
                "switched_from": "sparse",
                "switch_reason": "one side is empty"
                if empty
                else "pins, rules or minimum partners need the dense path's diagnosis",
            }
    return _dense(problem, spec, params, scorer, scaling, runner, started, note)


def _noted(outcome: Outcome, note: dict[str, Any]) -> Outcome:
    if not note:
        return outcome
    return replace(outcome, certificate=noted(outcome.certificate, note))


def _dense(
    problem: Problem,
    spec: ObjectiveSpec,
    params: SolveParams,
    scorer: Scorer,
    scaling: Scaling,
    runner: ChunkRunner | None,
    started: float,
    note: dict[str, Any],
) -> Outcome:
    m, n = problem.shape
    if note.get("switched_from") and m * n > params.dense_max_pairs:
        raise PairmatchError(
            f"the sparse method could not finish ({note['switch_reason']}) and the dense method would hold "
            f"{m * n:,} pairs, above dense_max_pairs={params.dense_max_pairs:,}; raise dense_max_pairs or "
            "max_rounds, or relax the minimum partners and pins"
        )
    table = score_table(scorer, executor=runner)
    scaling = with_exact_scores(scaling, table.total, params)
    candidates = build_candidates(problem, table, scorer)
    scored = time.perf_counter()
    needs_check = candidates.required or _has_minimums(candidates) or problem.rules.quotas
    # Cheap checks first; whether the lower bounds can all hold is the solver's one max-flow to
    # decide, and the minimum-cut (Hall) diagnosis runs only when it finds they cannot.
    reasons = diagnose(problem, table, candidates, hall=False) if needs_check else []
    if reasons:
        raise InfeasibleProblemError(reasons)
    graph = _arc_graph(candidates, table, scaling)
    pinned_gains = [int(scaling.to_integer(table.total[i, j])) for i, j in candidates.required]
    solution, family = _backend(problem, candidates, graph, spec, params, min(pinned_gains, default=None))
    if solution is None:
        raise InfeasibleProblemError(
            diagnose(problem, table, candidates)
            or [
                {
                    "rule": "bounds_conflict",
                    "people": [],
                    "message": "the minimum numbers of partners on both sides cannot be met together",
                }
            ]
        )
    pairs = [(i, j, True) for i, j in candidates.required]
    pairs += [(int(graph.rows[k]), int(graph.cols[k]), False) for k in solution.chosen]
    n_candidates = int(np.count_nonzero(candidates.allowed))
    certificate = build_certificate(
        spec,
        family,
        {
            **with_pinned(solution.certificate, pinned_gains),
            "method": "dense",
            **note,
            **scaling.describe(),
            "max_pairs": max_pairs(candidates, n_candidates),
            "rounding_bound": scaling.rounding_bound(max_pairs(candidates, n_candidates)),
            "pinned_pairs": len(candidates.required),
            "pairs_total": m * n,
            "pairs_scored_exactly": m * n,
            "candidate_pairs": n_candidates,
            "certified_over_all_pairs": bool(solution.optimal),
        },
        solution.optimal,
    )
    finished = time.perf_counter()
    return Outcome(
        pairs=tuple(sorted(pairs)),
        optimal=solution.optimal,
        solver=solution.solver,
        certificate=certificate,
        context=SolveContext(problem, table, candidates, params, scaling),
        timings={"score": scored - started, "solve": finished - scored},
    )


def _has_minimums(candidates: Candidates) -> bool:
    return bool(candidates.mentor_min.any() or candidates.mentee_min.any())


def _stable(
    problem: Problem, params: SolveParams, scorer: Scorer, scaling: Scaling, runner: ChunkRunner | None, started: float
) -> Outcome:
    """A stable matching by deferred acceptance, with the score it costs against the optimum.

    Each side prefers by the people's own rankings where it has them (see
    `pairmatch.solver.lists`), else by the scores. Pinned pairs are placed first
    and take their places; stability holds among everyone's remaining places.
    Minimums cannot be expressed by preferences, so they are refused rather
    than silently ignored; quotas only as capacities of groups (a
    student-project allocation).
    """
    spec = OBJECTIVES[params.objective]
    if not spec.side_constraints and (
        problem.rules.match_all_mentors
        or problem.rules.match_all_mentees
        or any(p.min_partners for p in (*problem.mentors, *problem.mentees))
    ):
        raise PairmatchError(
            "the stable objective cannot guarantee minimum partners or match_all_*; "
            "use max_score, max_participation or maxmin for those"
        )
    try:
        stable_groups(problem)
    except ValueError as err:
        raise PairmatchError(str(err)) from None
    table = score_table(scorer, executor=runner)
    scaling = with_exact_scores(scaling, table.total, params)
    candidates = build_candidates(problem, table, scorer)
    reasons = diagnose(problem, table, candidates) if candidates.required else []
    if reasons:
        raise InfeasibleProblemError(reasons)
    scored = time.perf_counter()
    allowed = candidates.allowed.copy()
    for i, j in candidates.required:
        allowed[i, j] = False
    _, mentor_hi, _, mentee_hi = (np.maximum(b, 0) for b in candidates.free_bounds())
    mentee_scores = None
    if params.mentee_weights is not None:
        unknown = sorted(set(params.mentee_weights) - set(table.components))
        if unknown:
            raise PairmatchError(
                f"mentee_weights names unknown components {unknown}; known: {sorted(table.components)}"
            )
        mentee_scores = np.zeros(table.shape)
        for name, weight in params.mentee_weights.items():
            mentee_scores += weight * table.components[name]
    try:
        found = run_stable(
            problem,
            table.total,
            mentee_scores,
            allowed,
            (mentor_hi, mentee_hi),
            proposer=params.proposer,
            use=params.stable_preferences,
        )
    except ValueError as err:
        raise PairmatchError(str(err)) from None
    blocking = found.blocking
    # The price of stability: the max_score optimum on the same candidates.
    graph = _arc_graph(candidates, table, scaling)
    best, _ = _backend(problem, candidates, graph, OBJECTIVES["max_score"], params, None)
    assert best is not None  # no minimums, so some matching (maybe empty) always exists
    pinned_gain = int(sum(int(scaling.to_integer(table.total[i, j])) for i, j in candidates.required))
    stable_gain = int(scaling.to_integer(table.total[found.rows, found.cols]).sum()) + pinned_gain
    optimum_gain = int(best.certificate["integer_objective"]) + pinned_gain
    pairs = [(i, j, True) for i, j in candidates.required]
    pairs += [(int(i), int(j), False) for i, j in zip(found.rows.tolist(), found.cols.tolist(), strict=True)]
    n_candidates = int(np.count_nonzero(candidates.allowed))
    most = max_pairs(candidates, n_candidates)
    weak = " (weak stability: ties never block)" if found.lists.ties else ""
    certificate = {
        "method": "stable",
        "backend": "deferred_acceptance",
        "proof": (
            f"{found.algorithm} with {params.proposer}s proposing (the {params.proposer}-optimal stable "
            f"matching{' of the tie-broken lists' if found.lists.ties else ''}); blocking pairs counted over all "
            f"allowed pairs{weak}: {len(blocking[0])}"
        ),
        "proposer": params.proposer,
        "algorithm": found.algorithm,
        "preferences": dict(found.lists.sources),
        "ties": found.lists.ties,
        "capacity_groups": found.groups,
        "rounds": found.rounds,
        "proposals": found.proposals,
        "blocking_pairs": len(blocking[0]),
        "unique_stable_matching": params.mentee_weights is None and not found.lists.ranked,
        "integer_objective": stable_gain,
        "max_score_integer_objective": optimum_gain,
        "cost_of_stability": (optimum_gain - stable_gain) / scaling.scale,
        **scaling.describe(),
        "max_pairs": most,
        "rounding_bound": scaling.rounding_bound(most),
        "pinned_pairs": len(candidates.required),
    }
    finished = time.perf_counter()
    return Outcome(
        pairs=tuple(sorted(pairs)),
        optimal=len(blocking[0]) == 0,
        solver="pairmatch.deferred_acceptance",
        certificate=build_certificate(spec, "stable", certificate, optimal=len(blocking[0]) == 0),
        context=SolveContext(problem, table, candidates, params, scaling),
        timings={"score": scored - started, "solve": finished - scored},
    )
