"""Status "optimal" means optimal for the scores themselves, or says "within X".

Integer and few-decimal scores are scaled to integers exactly, so an optimal result's objective is
the exact optimum (scipy's `linear_sum_assignment`, brute force on tiny instances); scores no scale
makes whole report the rounding bound as ``optimality_gap`` and "optimal within X".
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import pairmatch as pm

PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def matrix_problem(scores: np.ndarray, capacity: int = 1) -> pm.Problem:
    m, n = scores.shape
    mentors = [f"M{i}" for i in range(m)]
    problem = pm.Problem.from_matrix(scores, mentors, [f"O{j}" for j in range(n)])
    if capacity == 1:
        return problem
    widened = [p.model_copy(update={"max_partners": capacity}) for p in problem.mentors]
    return problem.model_copy(update={"mentors": widened})


def lsa_optimum(scores: np.ndarray, capacity: int = 1) -> float:
    """The exact maximum total (every score >= 0, so the best matching may as well be maximal)."""
    expanded = np.repeat(scores, capacity, axis=0)
    rows, cols = linear_sum_assignment(expanded, maximize=True)
    return float(expanded[rows, cols].sum())


def brute_optimum(scores: np.ndarray) -> float:
    m, n = scores.shape
    best = 0.0
    for k in range(min(m, n) + 1):
        for rows in itertools.permutations(range(m), k):
            for cols in itertools.combinations(range(n), k):
                best = max(best, float(sum(scores[r, c] for r, c in zip(rows, cols, strict=True))))
    return best


@st.composite
def integer_scores(draw, low: int = 30, high: int = 80):
    m = draw(st.integers(low, high))
    n = draw(st.integers(low, high))
    top = draw(st.sampled_from([10**5, 10**6, 2 * 10**7, 10**8]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, top, size=(m, n))
    # Near ties at the top, which a coarse scaling cannot tell apart.
    near = rng.random((m, n)) < 0.3
    scores[near] = top - 1 - rng.integers(0, 40, size=int(near.sum()))
    return scores.astype(float)


@PROPS
@given(scores=integer_scores())
def test_integer_scores_over_a_wide_range_are_solved_exactly(scores):
    result = pm.solve(matrix_problem(scores))
    assert result.status == "optimal"
    assert result.certificate["exact"]
    assert result.optimality_gap == 0.0
    assert result.status_text == "optimal"
    assert result.objective == lsa_optimum(scores)  # integers below 2**53: float sums are exact
    assert result.certificate["integer_objective"] == result.objective * result.certificate["scale"]


@PROPS
@given(scores=integer_scores(8, 20), capacity=st.integers(2, 3))
def test_integer_scores_with_capacities_are_solved_exactly(scores, capacity):
    problem = matrix_problem(scores, capacity)
    result = pm.solve(problem)
    assert pm.is_feasible(result, problem)
    assert result.status_text == "optimal"
    assert result.objective == lsa_optimum(scores, capacity)


@PROPS
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    decimals=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
    objective=st.sampled_from(["max_score", "max_participation"]),
)
def test_tiny_decimal_instances_match_brute_force(shape, decimals, seed, objective):
    scores = np.round(np.random.default_rng(seed).random(shape) * 10**4, decimals)
    result = pm.solve(matrix_problem(scores), pm.SolveParams(objective=objective))
    assert result.status_text == "optimal"
    if objective == "max_score":
        assert result.objective == pytest.approx(brute_optimum(scores), rel=1e-12, abs=1e-12)


@PROPS
@given(
    m=st.integers(20, 60),
    n=st.integers(20, 60),
    decimals=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_few_decimals_are_solved_exactly(m, n, decimals, seed):
    scores = np.round(np.random.default_rng(seed).random((m, n)) * 10**4, decimals)
    result = pm.solve(matrix_problem(scores))
    assert result.certificate["exact"]
    assert result.certificate["scale"] <= 10**decimals
    assert result.optimality_gap == 0.0
    assert result.objective == pytest.approx(lsa_optimum(scores), rel=1e-13)


@PROPS
@given(m=st.integers(10, 50), n=st.integers(10, 50), seed=st.integers(0, 2**32 - 1))
def test_scores_no_scale_makes_whole_say_optimal_within_the_rounding_bound(m, n, seed):
    scores = np.random.default_rng(seed).random((m, n)) * 10**7
    result = pm.solve(matrix_problem(scores))
    gap = result.optimality_gap
    assert not result.certificate["exact"]
    assert gap == result.certificate["rounding_bound"] > 0
    assert result.status == "optimal"
    assert result.status_text.startswith("optimal within ")
    best = lsa_optimum(scores)
    assert -1e-12 * best <= best - result.objective <= gap * (1 + 1e-9)
    assert result.to_dict()["optimality_gap"] == gap


def test_a_wide_range_falls_short_by_resolution_and_says_so_but_is_exact_by_default():
    # Scores up to 2e7 with many near ties: scaled so the largest is 10**6 units, pairs 10 apart
    # in score look alike, and the matching found is not the best one.
    rng = np.random.default_rng(11)
    scores = (2 * 10**7 - rng.integers(0, 60, size=(70, 70))).astype(float)
    best = lsa_optimum(scores)
    coarse = pm.solve(matrix_problem(scores), pm.SolveParams(exact=False))
    assert coarse.status == "optimal"
    assert 0 < best - coarse.objective <= coarse.optimality_gap
    assert coarse.status_text == f"optimal within {coarse.optimality_gap:.6g}"
    assert f"status optimal within {coarse.optimality_gap:.6g}" in coarse.summary()
    exact = pm.solve(matrix_problem(scores))
    assert (exact.objective, exact.status_text, exact.certificate["scale"]) == (best, "optimal", 1.0)


@pytest.mark.parametrize("backend", ["assignment", "flow", "cpsat"])
def test_every_backend_is_exact_on_integer_scores(backend):
    scores = np.random.default_rng(5).integers(0, 10**6, size=(25, 25)).astype(float)
    result = pm.solve(matrix_problem(scores), pm.SolveParams(backend=backend))
    assert result.status_text == "optimal"
    assert result.objective == lsa_optimum(scores)


def test_the_sparse_method_is_exact_on_integer_scores():
    scores = np.random.default_rng(8).integers(0, 10**6, size=(1100, 1000)).astype(float)
    result = pm.solve(matrix_problem(scores))
    assert result.certificate["method"] == "sparse"
    assert result.certificate["exact"]
    assert result.status_text == "optimal"
    assert result.objective == lsa_optimum(scores)


def test_a_score_function_is_checked_on_the_scored_pairs():
    def rating(mentors: pm.PeopleTable, mentees: pm.PeopleTable) -> np.ndarray:
        return ((mentors.index[:, None] * 7 + mentees.index[None, :] * 3) % 11).astype(float) * 1000.0

    problem = pm.synthetic_problem(12, 10, seed=2).model_copy(
        update={"scores": [pm.CustomScore(name="rating", function=rating, max_value=10_000.0)]}
    )
    result = pm.solve(problem)
    assert result.certificate["exact"]
    assert result.optimality_gap == 0.0


def test_exact_can_be_switched_off():
    result = pm.solve(pm.pilot_problem(), pm.SolveParams(exact=False))
    assert (result.certificate["exact"], result.certificate["scale"]) == (False, 1_000_000.0)
    assert result.optimality_gap == result.certificate["rounding_bound"] > 0
