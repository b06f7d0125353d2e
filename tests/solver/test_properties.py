"""Properties of solve() on random small problems, checked against independent oracles.

Oracles: scipy's linear_sum_assignment for one-to-one problems and plain
enumeration of every assignment for tiny many-to-one problems. Every result
is also passed through the public verifiers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import pairmatch
from pairmatch import InfeasibleProblemError, Problem, SolveParams, Weights
from pairmatch.solver._flow import solve_assignment, solve_flow
from pairmatch.solver._graph import ArcGraph
from pairmatch.solver.scaling import Scaling

from strategies import (
    bounded_problems,
    many_to_one_problems,
    one_to_one_problems,
    problems,
    score_matrices,
    zero_capacity_problems,
)
from support.scaling import solver_scaling

RESOLUTION = 10**6
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_verified(result: pairmatch.MatchResult, problem: Problem) -> None:
    assert pairmatch.violations(result, problem) == []
    assert pairmatch.is_feasible(result, problem)


def tolerance(*results: pairmatch.MatchResult) -> float:
    return sum(r.certificate["rounding_bound"] for r in results) + 1e-9


def scipy_optimum(problem: Problem) -> float:
    total = pairmatch.score(problem).total
    rows, cols = linear_sum_assignment(total, maximize=True)
    return float(total[rows, cols].sum())


# --- brute force -------------------------------------------------------------------------------


def feasible_assignments(problem: Problem):
    """Every matching in which each mentee has at most one mentor and every rule holds.

    Yields lists of (mentor index, mentee index). Independent of the library:
    reads capacities and pair rules straight from the input models.
    """
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    assert all(e.max_partners <= 1 for e in problem.mentees), "enumeration assumes mentees take one mentor"
    forbidden = {(mentor_ix[a], mentee_ix[b]) for a, b in problem.rules.forbidden_pairs}
    if problem.rules.min_score is not None:
        total = pairmatch.score(problem).total
        forbidden |= set(zip(*np.nonzero(total < problem.rules.min_score - 1e-9), strict=True))
    required = {(mentor_ix[a], mentee_ix[b]) for a, b in problem.rules.required_pairs}
    n_m = len(problem.mentors)
    for choice in itertools.product(range(-1, n_m), repeat=len(problem.mentees)):
        pairs = [(i, j) for j, i in enumerate(choice) if i >= 0]
        if any(p in forbidden for p in pairs) or not required <= set(pairs):
            continue
        load = [0] * n_m
        for i, _ in pairs:
            load[i] += 1
        if not all(m.min_partners <= load[i] <= m.max_partners for i, m in enumerate(problem.mentors)):
            continue
        if not all(e.min_partners <= int(choice[j] >= 0) <= e.max_partners for j, e in enumerate(problem.mentees)):
            continue
        yield pairs


def brute_force(problem: Problem, key) -> tuple | None:
    """The best value of ``key(pairs, float scores, integer scores)`` over all feasible matchings."""
    total = pairmatch.score(problem).total
    scaled = solver_scaling(problem).to_integer(total)
    values = [key(pairs, total, scaled) for pairs in feasible_assignments(problem)]
    return max(values) if values else None


def max_total(pairs, total, scaled):
    return (math.fsum(float(total[i, j]) for i, j in pairs),)


def max_integer_total(pairs, total, scaled):
    return (sum(int(scaled[i, j]) for i, j in pairs),)


def participation_key(pairs, total, scaled):
    return (len(pairs), sum(int(scaled[i, j]) for i, j in pairs))


def maxmin_key(pairs, total, scaled):
    ints = [int(scaled[i, j]) for i, j in pairs]
    return (len(ints), min(ints, default=0), sum(ints))


def rounded(result: pairmatch.MatchResult) -> list[int]:
    """The pairs' scores as the solver's integers."""
    scale = float(result.certificate["scale"])
    return np.rint(np.array([p.score for p in result.pairs], dtype=float) * scale).astype(np.int64).tolist()


# What each objective optimises, lexicographically, on the solver's integer scores.
# For max_score only the total is determined (zero-score pairs may come or go).
OBJECTIVE_KEYS = {
    "max_score": lambda ints: (sum(ints),),
    "max_participation": lambda ints: (len(ints), sum(ints)),
    "maxmin": lambda ints: (len(ints), min(ints, default=0), sum(ints)),
}


def result_key(result: pairmatch.MatchResult, objective: str) -> tuple:
    return OBJECTIVE_KEYS[objective](rounded(result))


# --- feasibility -------------------------------------------------------------------------------


@PROPS
@given(
    problem=st.one_of(one_to_one_problems(), many_to_one_problems()),
    objective=st.sampled_from(["max_score", "max_participation", "maxmin"]),
)
def test_every_result_passes_the_verifiers(problem, objective):
    result = pairmatch.solve(problem, SolveParams(objective=objective))
    assert_verified(result, problem)
    assert result.status == "optimal"
    # Everyone is either in a pair or listed as unmatched, never both.
    matched = {pid for p in result.pairs for pid in (p.mentor_id, p.mentee_id)}
    unmatched = {u.person_id for u in result.unmatched}
    assert matched.isdisjoint(unmatched)
    assert matched | unmatched == {p.id for p in (*problem.mentors, *problem.mentees)}


# --- one-to-one against scipy ------------------------------------------------------------------


@PROPS
@given(problem=one_to_one_problems())
def test_one_to_one_optimum_equals_scipy_for_both_backends(problem):
    expected = scipy_optimum(problem)
    by_assignment = pairmatch.solve(problem, SolveParams(backend="assignment"))
    by_flow = pairmatch.solve(problem, SolveParams(backend="flow"))
    for result in (by_assignment, by_flow):
        assert_verified(result, problem)
        assert abs(result.objective - expected) <= tolerance(result)
    assert abs(by_assignment.objective - by_flow.objective) <= tolerance(by_assignment, by_flow)


@PROPS
@given(problem=st.integers(1, 8).flatmap(lambda n: problems(mentors=(n, n), mentees=(n, n))))
def test_square_one_to_one_optimum_equals_scipy(problem):
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert abs(result.objective - scipy_optimum(problem)) <= tolerance(result)


@PROPS
@given(gain=score_matrices())
def test_backends_on_arbitrary_integer_matrices_equal_scipy(gain):
    # Missing arcs (-1) are ruled-out pairs; with non-negative gains a missing
    # arc is worth exactly as much as an arc of gain 0 to the oracle.
    rows, cols = np.nonzero(gain >= 0)
    m, n = gain.shape
    graph = ArcGraph(
        rows,
        cols,
        gain[rows, cols],
        np.zeros(m, np.int64),
        np.ones(m, np.int64),
        np.zeros(n, np.int64),
        np.ones(n, np.int64),
    )
    oracle = np.where(gain >= 0, gain, 0)
    r, c = linear_sum_assignment(oracle, maximize=True)
    expected = int(oracle[r, c].sum())
    for solution in (solve_assignment(graph), solve_flow(graph)):
        chosen = solution.chosen
        assert len(set(rows[chosen].tolist())) == len(chosen)
        assert len(set(cols[chosen].tolist())) == len(chosen)
        assert int(gain[rows[chosen], cols[chosen]].sum()) == expected
        assert solution.certificate["integer_objective"] == expected


# --- many-to-one and bounds against brute force ------------------------------------------------


@PROPS
@given(problem=many_to_one_problems())
def test_many_to_one_optimum_equals_brute_force(problem):
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    (expected,) = brute_force(problem, max_total)
    assert abs(result.objective - expected) <= tolerance(result)
    # In the solver's own integers the optimum is exact.
    assert result_key(result, "max_score") == brute_force(problem, max_integer_total)


@PROPS
@given(problem=zero_capacity_problems())
def test_people_taking_no_partner_stay_out_and_the_rest_is_optimal(problem):
    total = pairmatch.score(problem).total
    rows = [i for i, m in enumerate(problem.mentors) if m.max_partners]
    cols = [j for j, e in enumerate(problem.mentees) if e.max_partners]
    expected = 0.0
    if rows and cols:
        sub = total[np.ix_(rows, cols)]
        r, c = linear_sum_assignment(sub, maximize=True)
        expected = float(sub[r, c].sum())
    for backend in ("auto", "flow"):
        result = pairmatch.solve(problem, SolveParams(backend=backend))
        assert_verified(result, problem)
        assert abs(result.objective - expected) <= tolerance(result)
        idle = {p.id for p in (*problem.mentors, *problem.mentees) if p.max_partners == 0}
        assert {u.person_id for u in result.unmatched if u.code == "no_capacity"} == idle


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=20),
    resolution=st.sampled_from([1, 10, 1000, 10**6]),
)
def test_integer_scaling_rounds_to_the_nearest_multiple(values, resolution):
    scaling = Scaling(resolution, max(values))
    scaled = scaling.to_integer(np.array(values))
    assert scaled.dtype == np.int64
    if max(values) >= 1e-300:  # the largest score gets the whole resolution
        assert int(scaled.max()) == resolution
    for x, k in zip(values, scaled.tolist(), strict=True):
        assert abs(k - x * scaling.scale) <= 0.5 + 1e-9


@PROPS
@given(problem=bounded_problems(), objective=st.sampled_from(["max_score", "max_participation", "maxmin"]))
def test_minimum_partners_optimum_or_infeasible_exactly_when_brute_force_says_so(problem, objective):
    key = {"max_score": max_total, "max_participation": participation_key, "maxmin": maxmin_key}[objective]
    expected = brute_force(problem, key)
    if expected is None:
        with pytest.raises(InfeasibleProblemError) as info:
            pairmatch.solve(problem, SolveParams(objective=objective))
        assert info.value.reasons, "an infeasibility error must give reasons"
        return
    result = pairmatch.solve(problem, SolveParams(objective=objective))
    assert_verified(result, problem)
    if objective == "max_score":
        assert abs(result.objective - expected[0]) <= tolerance(result)
    else:
        # Pinned pairs are pairs of the result like any other, so they count here too.
        assert result_key(result, objective) == expected


@PROPS
@given(problem=st.one_of(many_to_one_problems(), one_to_one_problems(max_side=4)))
def test_max_participation_equals_brute_force(problem):
    result = pairmatch.solve(problem, SolveParams(objective="max_participation"))
    assert_verified(result, problem)
    assert result_key(result, "max_participation") == brute_force(problem, participation_key)


@PROPS
@given(problem=st.one_of(many_to_one_problems(), one_to_one_problems(max_side=4)))
def test_maxmin_equals_brute_force(problem):
    result = pairmatch.solve(problem, SolveParams(objective="maxmin"))
    assert_verified(result, problem)
    assert result_key(result, "maxmin") == brute_force(problem, maxmin_key)


# --- invariances -------------------------------------------------------------------------------


@PROPS
@given(
    problem=st.one_of(one_to_one_problems(), many_to_one_problems()),
    objective=st.sampled_from(["max_score", "max_participation", "maxmin"]),
    seed=st.integers(0, 2**31),
)
def test_same_problem_and_seed_give_identical_json(problem, objective, seed):
    params = SolveParams(objective=objective)
    first = pairmatch.solve(problem, params, seed=seed).to_json(include_runtime=False)
    second = pairmatch.solve(problem, params, seed=seed).to_json(include_runtime=False)
    assert first == second
    assert f'"seed": {seed}' in first


def permuted(problem: Problem, mentor_order, mentee_order) -> Problem:
    return Problem(
        mentors=[problem.mentors[k] for k in mentor_order],
        mentees=[problem.mentees[k] for k in mentee_order],
        weights=problem.weights,
        rules=problem.rules,
        meeting_minutes=problem.meeting_minutes,
    )


@PROPS
@given(
    data=st.data(),
    problem=st.one_of(one_to_one_problems(), many_to_one_problems()),
    objective=st.sampled_from(["max_score", "max_participation", "maxmin"]),
)
def test_shuffling_people_does_not_change_the_objective(data, problem, objective):
    mentor_order = data.draw(st.permutations(range(len(problem.mentors))))
    mentee_order = data.draw(st.permutations(range(len(problem.mentees))))
    shuffled = permuted(problem, mentor_order, mentee_order)
    params = SolveParams(objective=objective)
    original, other = pairmatch.solve(problem, params), pairmatch.solve(shuffled, params)
    assert_verified(other, shuffled)
    assert abs(original.objective - other.objective) <= tolerance(original, other)
    # The solver optimises the rounded scores, so its optimum in those must agree exactly.
    assert result_key(original, objective) == result_key(other, objective)


@PROPS
@given(problem=st.one_of(one_to_one_problems(), many_to_one_problems()), c=st.sampled_from([0.5, 2.0, 3.7, 0.01, 10.0]))
def test_scaling_all_weights_scales_the_objective(problem, c):
    w, rules = problem.weights, problem.rules
    # A minimum score is in score units, so it scales with the weights.
    scaled_problem = problem.model_copy(
        update={
            "weights": Weights(focus=c * w.focus, borough=c * w.borough, availability=c * w.availability),
            "rules": rules.model_copy(update={"min_score": None if rules.min_score is None else c * rules.min_score}),
        }
    )
    base, scaled = pairmatch.solve(problem), pairmatch.solve(scaled_problem)
    assert_verified(scaled, scaled_problem)
    # Each side is within its own rounding bound of its optimum; the optimum scales exactly.
    assert (
        abs(scaled.objective - c * base.objective)
        <= scaled.certificate["rounding_bound"] + c * base.certificate["rounding_bound"] + 1e-9
    )
