"""Float comparisons are relative to the problem's scale: rules and the verifier bite alike on
scores of any size, and the verifier's tolerance is its own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

import pairmatch as pm
from pairmatch import checks
from pairmatch.constraints import MIN_SCORE_RTOL

# Without rules the best matching is M1-O1 (3.0), M2-O3 (1.0), M3-O2 (2.0); with min_score 2 only
# two pairs can be made, best M1-O2 (2.5) and M2-O1 (2.9).
MATRIX = np.array([[3.0, 2.5, 0.4], [2.9, 0.5, 1.0], [1.2, 2.0, 0.1]])
IDS = (["M1", "M2", "M3"], ["O1", "O2", "O3"])


def scaled(factor: float, min_score: float | None = None) -> pm.Problem:
    rules = pm.Rules(min_score=None if min_score is None else min_score * factor)
    return pm.Problem.from_matrix(MATRIX * factor, *IDS, rules=rules)


@pytest.mark.parametrize("factor", [1e-9, 1e-6, 1.0, 1e6])
def test_min_score_bites_at_every_scale(factor):
    problem = scaled(factor, min_score=2.0)
    result = pm.solve(problem, pm.SolveParams(objective="max_participation"))
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("M1", "O2"), ("M2", "O1")}
    assert checks.is_feasible(result, problem)
    assert {(p.mentor_id, p.mentee_id) for p in pm.solve(scaled(factor)).pairs} == {
        ("M1", "O1"),
        ("M2", "O3"),
        ("M3", "O2"),
    }


@pytest.mark.parametrize("factor", [1e-9, 1e-6, 1.0, 1e6])
def test_the_verifier_catches_a_pair_below_min_score_at_every_scale(factor):
    free = pm.solve(scaled(factor))  # no rule: M2-O3 at 1.0 is below 1.5
    strict = scaled(factor, min_score=1.5)
    found = checks.violations(free, strict)
    assert [v.kind for v in found] == ["rule"]
    assert found[0].people == ("M2", "O3")
    assert not checks.is_feasible(free, strict)


def test_a_pair_exactly_at_min_score_is_allowed_despite_float_noise():
    # 0.1 + 0.2 is 0.30000000000000004 in floats; the threshold 0.3 must still admit it and vice versa.
    for threshold in (0.1 + 0.2, 0.3):
        problem = pm.Problem.from_matrix([[0.3]], ["M1"], ["O1"], rules=pm.Rules(min_score=threshold))
        result = pm.solve(problem)
        assert result.n_pairs == 1
        assert checks.is_feasible(result, problem)


@pytest.mark.parametrize("factor", [1e-9, 1.0, 1e6])
def test_the_verifier_catches_a_wrong_score_at_every_scale(factor):
    problem = scaled(factor)
    result = pm.solve(problem)
    pair = result.pairs[0]
    wrong = type(pair)(
        pair.mentor_id, pair.mentee_id, pair.score * (1 + 1e-6), pair.components, pair.contributions, pair.pinned
    )
    tampered = type(result)(
        pairs=(wrong, *result.pairs[1:]),
        unmatched=result.unmatched,
        objective=result.objective,
        status=result.status,
        objective_name=result.objective_name,
        solver=result.solver,
        runtime_s=result.runtime_s,
        certificate=result.certificate,
    )
    kinds = {v.kind for v in checks.violations(tampered, problem)}
    assert "score" in kinds


def test_the_verifier_keeps_its_own_tolerance():
    # The verifier's slack is looser than the solver's (it only absorbs float noise), so it never
    # reports a pair the rules admitted; and it is not the same constant.
    assert checks.MIN_SCORE_TOLERANCE > MIN_SCORE_RTOL


@settings(max_examples=25, deadline=None)
@given(exponent=st.integers(-12, 9), seed=st.integers(0, 2**16), quantile=st.floats(0.1, 0.9))
def test_min_score_rule_and_verifier_agree_at_any_scale(exponent, seed, quantile):
    rng = np.random.default_rng(seed)
    scores = rng.random((5, 4)) * 10.0**exponent
    threshold = float(np.quantile(scores, quantile))
    ids = [f"M{i}" for i in range(5)], [f"O{j}" for j in range(4)]
    problem = pm.Problem.from_matrix(scores, *ids, rules=pm.Rules(min_score=threshold))
    result = pm.solve(problem, pm.SolveParams(objective="max_participation"))
    assert all(p.score >= threshold for p in result.pairs)
    assert checks.is_feasible(result, problem)
    # As many pairs as the pairs at or above the threshold allow (an independent matching).
    most = maximum_bipartite_matching(csr_matrix(scores >= threshold), perm_type="column")
    assert result.n_pairs == int((most >= 0).sum())
