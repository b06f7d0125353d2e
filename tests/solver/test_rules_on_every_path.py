"""The new rules and preference components give the same optimum on every solver path.

The certified sparse path and CP-SAT read rule bits and scores through the same `RuleChecker` and
`Scorer` as the dense path; on synthetic programmes with eligibility, must-match and
conditional rules, a soft preference and rank scores, each returns a verified result with the
dense optimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch as pm


def programme(seed: int, n: int, preferences: bool = True) -> pm.Problem:
    """A synthetic programme with attributes, rankings, rules and (unless ``preferences`` is
    False) preference components."""
    rng = np.random.default_rng(seed)
    base = pm.synthetic_problem(n, n, seed=seed)
    mentors = [
        m.model_copy(
            update={
                "attributes": {
                    **m.attributes,
                    "age": int(rng.integers(16, 26)),
                    "sex": str(rng.choice(["female", "male"])),
                    "prefers_female_officer": bool(rng.random() < 0.4),
                }
            }
        )
        for m in base.mentors
    ]
    mentor_ids = [m.id for m in mentors]
    mentees = [
        e.model_copy(
            update={
                "attributes": {
                    **e.attributes,
                    "sex": str(rng.choice(["female", "male"])),
                    "vetting": str(rng.choice(["cleared", "cleared", "cleared", "pending"])),
                },
                "ranking": tuple((pid,) for pid in rng.choice(mentor_ids, size=3, replace=False).tolist()),
            }
        )
        for e in base.mentees
    ]
    female = pm.Condition(attribute="sex", equals="female")
    rules = pm.Rules(
        require=(
            pm.Requirement(side="mentor", attribute="age", at_least=18),
            pm.Requirement(side="mentee", attribute="vetting", equals="cleared"),
        ),
        conditional=(
            pm.PairRule(
                when=pm.When(focus=("knife crime", "domestic abuse"), focus_of="either"), then=pm.Then(same=("sex",))
            ),
        ),
    )
    return pm.Problem(
        mentors=mentors,
        mentees=mentees,
        rules=rules,
        preferences=()
        if not preferences
        else (
            pm.Preference(
                name="female_officer",
                weight=0.2,
                when=pm.When(mentor=(pm.Condition(attribute="prefers_female_officer", equals=True),)),
                then=pm.Then(mentee=(female,)),
            ),
        ),
        rank_scores=()
        if not preferences
        else (pm.RankScore(name="choice", side="mentee", weight=0.3, values=(1.0, 0.7, 0.4)),),
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_sparse_and_cpsat_agree_with_dense(seed):
    problem = programme(seed, 40)
    dense = pm.solve(problem, pm.SolveParams(method="dense"))
    assert pm.violations(dense, problem) == []
    for params in (pm.SolveParams(method="sparse", candidates_per_person=2), pm.SolveParams(backend="cpsat")):
        other = pm.solve(problem, params)
        assert pm.violations(other, problem) == []
        # Equal optima may be different matchings whose float totals differ in the last bit.
        bound = dense.certificate["rounding_bound"] + other.certificate["rounding_bound"] + 1e-9
        assert other.objective == pytest.approx(dense.objective, abs=bound)


def test_the_sparse_path_is_taken_and_certified():
    problem = programme(7, 60)
    result = pm.solve(problem, pm.SolveParams(method="sparse", candidates_per_person=1))
    assert result.certificate["method"] == "sparse"
    assert result.status == "optimal"
    assert pm.violations(result, problem) == []
    assert pm.blocking_pairs(pm.solve(problem, pm.SolveParams(objective="stable"))) == []


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_rules_alone_are_decided_by_type_on_the_sparse_path(seed):
    """Without preference components every score is a level, so the sparse path decides the
    eligibility, must-match and conditional rules by people's rule types."""
    problem = programme(seed, 50, preferences=False)
    dense = pm.solve(problem, pm.SolveParams(method="dense"))
    sparse = pm.solve(problem, pm.SolveParams(method="sparse", candidates_per_person=1))
    assert sparse.certificate["method"] == "sparse"
    assert pm.violations(sparse, problem) == []
    bound = dense.certificate["rounding_bound"] + sparse.certificate["rounding_bound"]
    assert sparse.objective == pytest.approx(dense.objective, abs=bound)
    assert len(sparse.pairs) == len(dense.pairs)


def test_listed_bonus_pairs_beside_preferences_keep_the_dense_optimum():
    """Caller entries (default 0) beside preference components: the sparse path may not score
    the unlisted pairs by level alone, since the preferences score them too."""
    problem = programme(3, 60)
    rng = np.random.default_rng(3)
    listed = [(m.id, e.id, 1.0) for m, e in zip(problem.mentors[::3], problem.mentees[1::3], strict=False)]
    bonus = pm.CustomScore(name="kept", weight=0.2, max_value=1.0, default=0.0, entries=listed)
    problem = problem.model_copy(update={"scores": (bonus,)})
    dense = pm.solve(problem, pm.SolveParams(method="dense"))
    sparse = pm.solve(problem, pm.SolveParams(method="sparse", candidates_per_person=int(rng.integers(1, 3))))
    assert pm.violations(sparse, problem) == []
    bound = dense.certificate["rounding_bound"] + sparse.certificate["rounding_bound"]
    assert sparse.objective == pytest.approx(dense.objective, abs=bound + 1e-9)
