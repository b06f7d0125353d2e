"""Sparse input: `Problem.from_arcs` and `from_matrix(allowed=...)`, maximising scores or minimising
costs, against scipy on the same pairs, on every path, verified from the definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

import pairmatch as pm
from pairmatch import InfeasibleProblemError, Problem, SolveParams
from pairmatch.constraints import Rule

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = "MO"


@st.composite
def arc_lists(draw, most: int = 7, costs: bool = False):
    """``(m, n, rows, cols, values)``: distinct pairs with integer values (costs may be negative)."""
    m, n = draw(st.integers(1, most)), draw(st.integers(1, most))
    cells = draw(st.sets(st.tuples(st.integers(0, m - 1), st.integers(0, n - 1)), max_size=m * n))
    cells = sorted(cells)
    low = -20 if costs else 0
    values = draw(st.lists(st.integers(low, 40), min_size=len(cells), max_size=len(cells)))
    rows = np.array([r for r, _ in cells], dtype=np.int64)
    cols = np.array([c for _, c in cells], dtype=np.int64)
    return m, n, rows, cols, np.array(values, dtype=np.float64)


def ids(side: str, k: int) -> list[str]:
    return [f"{side}{i}" for i in range(k)]


def from_arcs(m: int, n: int, rows, cols, values, **kwargs) -> Problem:
    return Problem.from_arcs(ids("M", m), ids("O", n), rows, cols, values, **kwargs)


def matched_cost(result: pm.MatchResult, m: int, rows, cols, values) -> float:
    cost = {(f"M{r}", f"O{c}"): v for r, c, v in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True)}
    return sum(cost[(p.mentor_id, p.mentee_id)] for p in result.pairs)


def assert_verified(result: pm.MatchResult, problem: Problem) -> None:
    assert pm.violations(result, problem) == []
    assert result.certificate["certified_over_all_pairs"]


@PROPS
@given(arcs=arc_lists())
def test_maximum_score_over_listed_pairs_equals_scipy_on_every_path(arcs):
    m, n, rows, cols, values = arcs
    problem = from_arcs(m, n, rows, cols, values)
    # scipy: the same pairs in a dense matrix, unlisted ones worth nothing (never better than no pair).
    dense = np.zeros((m, n))
    dense[rows, cols] = values
    r, c = linear_sum_assignment(dense, maximize=True)
    expected = float(dense[r, c].sum())
    for method in ("auto", "sparse", "dense"):
        result = pm.solve(problem, SolveParams(method=method))
        assert math.isclose(result.objective, expected, abs_tol=1e-9), method
        assert_verified(result, problem)
        listed = set(zip(rows.tolist(), cols.tolist(), strict=True))
        assert all((int(p.mentor_id[1:]), int(p.mentee_id[1:])) in listed for p in result.pairs)
    assert pm.solve(problem).certificate["method"] == "sparse"  # the listed pairs are the graph at any size


@PROPS
@given(arcs=arc_lists(costs=True))
def test_minimum_cost_equals_scipy_or_both_refuse(arcs):
    m, n, rows, cols, values = arcs
    problem = from_arcs(m, n, rows, cols, values, minimise=True)
    graph = csr_matrix((values - values.min() + 1 if len(values) else values, (rows, cols)), shape=(m, n))
    try:  # scipy's sparse solver needs positive weights: every listed cost shifted by one constant
        r, c = min_weight_full_bipartite_matching(graph)
    except ValueError:
        with pytest.raises(InfeasibleProblemError):
            pm.solve(problem)
        return
    dense = np.full((m, n), np.inf)
    dense[rows, cols] = values
    r, c = linear_sum_assignment(dense)
    expected = float(dense[r, c].sum())
    for method in ("auto", "dense"):
        result = pm.solve(problem, SolveParams(method=method))
        assert len(result.pairs) == min(m, n)
        assert math.isclose(matched_cost(result, m, rows, cols, values), expected, abs_tol=1e-9), method
        top = float(values.max())
        assert math.isclose(len(result.pairs) * top - result.objective, expected, abs_tol=1e-9)
        assert_verified(result, problem)


@PROPS
@given(arcs=arc_lists(), data=st.data())
def test_an_allowed_mask_on_a_matrix_is_the_same_problem_as_its_arcs(arcs, data):
    m, n, rows, cols, _ = arcs
    matrix = data.draw(st.lists(st.lists(st.integers(0, 40), min_size=n, max_size=n), min_size=m, max_size=m))
    matrix = np.array(matrix, dtype=np.float64)
    allowed = np.zeros((m, n), dtype=bool)
    allowed[rows, cols] = True
    masked = Problem.from_matrix(matrix, ids("M", m), ids("O", n), allowed=allowed)
    listed = from_arcs(m, n, rows, cols, matrix[rows, cols])
    assert pm.solve(masked).objective == pm.solve(listed).objective
    expected = np.where(allowed, matrix, 0.0)
    r, c = linear_sum_assignment(expected, maximize=True)
    assert math.isclose(pm.solve(masked).objective, float(expected[r, c].sum()), abs_tol=1e-9)


def test_other_rules_pins_and_capacities_apply_to_the_listed_pairs():
    rows, cols = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 1, 1])
    values = np.array([5.0, 1.0, 4.0, 3.0, 9.0])
    rules = pm.Rules(forbidden_pairs=[("M2", "O1")], required_pairs=[("M0", "O1")])
    problem = from_arcs(3, 2, rows, cols, values, rules=rules, mentee_capacity=[1, 2])
    for method in ("sparse", "dense"):
        result = pm.solve(problem, SolveParams(method=method))
        assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("M0", "O1"), ("M1", "O0")}
        assert_verified(result, problem)


def test_unlisted_pairs_are_explained_by_their_rule():
    problem = from_arcs(2, 2, np.array([0]), np.array([0]), np.array([1.0]))
    result = pm.solve(problem)
    reasons = {u.person_id: u.reason for u in result.unmatched}
    assert "not a listed pair" in reasons["M1"]
    assert "does not list M1 with O0" in reasons["M1"]
    bits = result.context.candidates.blocked_pairs(np.array([1]), np.array([1]))
    assert bits[0] == Rule.NOT_LISTED


def test_a_matched_pair_that_is_not_listed_is_a_violation():
    problem = from_arcs(1, 2, np.array([0]), np.array([0]), np.array([1.0]))
    result = pm.solve(problem)
    other = from_arcs(1, 2, np.array([0]), np.array([1]), np.array([1.0]))
    rules = [v for v in pm.violations(result, other) if v.kind == "rule"]
    assert len(rules) == 1
    assert "not a listed pair" in rules[0].message


def test_minimising_without_a_full_assignment_names_the_people():
    # Two mentees can only take the same mentor: no matching covers the smaller side.
    problem = from_arcs(3, 2, np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 2.0, 3.0]), minimise=True)
    assert pm.solve(problem).objective >= 0  # three mentors, two mentees: both mentees can be matched
    tight = from_arcs(2, 3, np.array([0, 1]), np.array([0, 0]), np.array([1.0, 2.0]), minimise=True)
    with pytest.raises(InfeasibleProblemError) as err:
        pm.solve(tight)
    assert "M0" in str(err.value) or "M1" in str(err.value)


@pytest.mark.parametrize(
    ("arcs", "message"),
    [
        (([0, 0], [1, 1], [1.0, 2.0]), "more than once"),
        (([0], [5], [1.0]), "arcs cols[0] is 5, but there are 2 mentees"),
        (([-1], [0], [1.0]), "positions are >= 0"),
        (([0.5], [0], [1.0]), "integer positions"),
        (([0], [0], [-1.0]), "negative"),
        (([0, 1], [0], [1.0]), "differ in length"),
    ],
)
def test_bad_arcs_name_the_problem(arcs, message):
    with pytest.raises((ValueError, pm.PairmatchError)) as err:
        Problem.from_arcs(["M0", "M1"], ["O0", "O1"], *arcs)
    assert message in str(err.value)


def test_minimise_refuses_capacities_and_infinite_costs():
    with pytest.raises(ValueError, match="one-to-one"):
        Problem.from_arcs(["M0"], ["O0"], [0], [0], [1.0], minimise=True, mentor_capacity=2)
    with pytest.raises(ValueError, match="leave a pair out"):
        Problem.from_arcs(["M0"], ["O0"], [0], [0], [np.inf], minimise=True)
    with pytest.raises(ValueError, match="only_listed needs"):
        pm.CustomScore(name="s", matrix=[[1.0]], only_listed=True)


def test_a_rematch_keeps_the_listed_pairs_of_those_who_stay():
    from pairmatch.rematching import Changes, changed_problem

    problem = from_arcs(3, 3, np.array([0, 1, 2, 2]), np.array([0, 1, 2, 0]), np.array([1.0, 2.0, 3.0, 4.0]))
    after = changed_problem(problem, Changes(leave=["M1", "O0"]))
    rows, cols, values = after.scores[0].arcs
    kept = {(after.mentors[r].id, after.mentees[c].id, v) for r, c, v in zip(rows, cols, values, strict=True)}
    assert kept == {("M2", "O2", 3.0)}


def test_listed_pairs_travel_through_the_json_contract_by_id():
    from pairmatch.contract import MatchRequest

    problem = from_arcs(2, 3, np.array([0, 1, 1]), np.array([2, 0, 2]), np.array([1.0, 2.0, 5.0]))
    request = MatchRequest.model_validate_json(MatchRequest.from_problem(problem).model_dump_json())
    back = request.to_problem()
    assert back.scores[0].only_listed
    assert sorted(back.scores[0].entries) == [("M0", "O2", 1.0), ("M1", "O0", 2.0), ("M1", "O2", 5.0)]
    mine, theirs = pm.solve(problem), pm.solve(back)
    assert mine.objective == theirs.objective == 5.0
    assert [(p.mentor_id, p.mentee_id) for p in theirs.pairs] == [("M1", "O2")]
