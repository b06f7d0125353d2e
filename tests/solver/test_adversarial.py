"""The hard families for top-k candidate sets keep the certificate, and every path agrees with dense."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch
from pairmatch import CustomScore, Mentee, Mentor, Problem, SolveParams, is_feasible

from strategies import problems

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from families import FAMILIES, family

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def dense_optimum(problem: Problem, objective: str = "max_score") -> int:
    result = pairmatch.solve(problem, SolveParams(method="dense", objective=objective))
    return int(result.certificate["integer_objective"])


def assert_certified(result, problem: Problem, expected: int) -> None:
    cert = result.certificate
    assert result.status == "optimal"
    assert is_feasible(result, problem)
    assert cert["certified_over_all_pairs"] is True
    assert cert["integer_objective"] == expected
    if cert["method"] == "sparse":
        assert cert["end"] == "certified"
        assert cert["pairs_cleared_by_bound"] + cert["pairs_scored_exactly"] == cert["pairs_total"]
        assert cert["final_max_violation"] == 0


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("k", [1, 4])
def test_each_family_is_certified_on_the_sparse_path(name, k):
    problem = family(name, 60, seed=3)
    result = pairmatch.solve(problem, SolveParams(method="sparse", candidates_per_person=k))
    assert result.certificate["method"] == "sparse"
    assert_certified(result, problem, dense_optimum(problem))


def test_identical_people_take_the_profile_path_by_default_at_scale():
    problem = family("identical", 1200)
    result = pairmatch.solve(problem)
    cert = result.certificate
    assert cert["method"] == "profiles"
    assert (cert["mentor_profiles"], cert["mentee_profiles"]) == (1, 1)
    assert result.n_pairs == 1200
    assert cert["pairs_total"] == 1200 * 1200
    assert_certified(result, problem, 1200 * int(result.context.scaling.to_integer(result.pairs[0].score)))


def test_identical_people_on_the_sparse_path_stay_within_the_graph_bound():
    # Ties broken per pair: identical mentors pick different mentees, so no widening is needed.
    problem = family("identical", 400)
    result = pairmatch.solve(problem, SolveParams(method="sparse"))
    cert = result.certificate
    assert cert["method"] == "sparse"
    assert cert["rounds"] <= 3
    assert cert["candidate_arcs"] <= 2 * SolveParams().candidates_per_person * (400 + 400)
    assert_certified(result, problem, dense_optimum(problem))


@st.composite
def profile_problems(draw):
    """People copied from a few templates, capacities on at most one side, some minimums."""
    fields = st.fixed_dictionaries(
        {
            "focus_areas": st.lists(
                st.sampled_from(["knife crime", "domestic abuse", "hate crime"]), min_size=0, max_size=2, unique=True
            ),
            "boroughs": st.lists(
                st.sampled_from(["Newham", "Hackney", "Croydon"]), min_size=0, max_size=2, unique=True
            ),
            "availability": st.sampled_from([["Mon 18:00-20:00"], ["Sat 10:00-12:00"], []]),
        }
    )
    templates = draw(st.lists(fields, min_size=1, max_size=3))
    caps = draw(st.sampled_from(["mentor", "mentee", "none"]))
    mentors = tuple(
        Mentor(
            id=f"M{i}",
            **draw(st.sampled_from(templates)),
            max_partners=draw(st.integers(0, 3)) if caps == "mentor" else 1,
        )
        for i in range(draw(st.integers(1, 12)))
    )
    mentees = tuple(
        Mentee(
            id=f"E{j}",
            **draw(st.sampled_from(templates)),
            max_partners=draw(st.integers(0, 2)) if caps == "mentee" else 1,
            min_partners=draw(st.integers(0, 1)) if caps != "mentee" else 0,
        )
        for j in range(draw(st.integers(1, 12)))
    )
    return Problem(mentors=mentors, mentees=mentees)


@PROPS
@given(problem=profile_problems(), objective=st.sampled_from(["max_score", "max_participation"]))
def test_profile_path_equals_the_person_level_dense_optimum(problem, objective):
    try:
        expected = dense_optimum(problem, objective)
    except pairmatch.InfeasibleProblemError:
        with pytest.raises(pairmatch.InfeasibleProblemError):
            pairmatch.solve(problem, SolveParams(method="profiles", objective=objective))
        return
    result = pairmatch.solve(problem, SolveParams(method="profiles", objective=objective))
    assert result.certificate["method"] in ("profiles", "dense")
    assert_certified(result, problem, expected)
    dense = pairmatch.solve(problem, SolveParams(method="dense", objective=objective))
    assert result.n_pairs == dense.n_pairs or objective == "max_score"


def test_profile_path_is_refused_explicitly_for_person_specific_rules():
    problem = family("identical", 30)
    pinned = problem.model_copy(update={"rules": problem.rules.model_copy(update={"forbidden_pairs": (("M0", "E0"),)})})
    result = pairmatch.solve(pinned, SolveParams(method="profiles"))
    cert = result.certificate
    assert cert["method"] == "dense"
    assert cert["method_requested"] == "profiles"
    assert "person-specific" in cert["method_reason"]
    assert cert["integer_objective"] == dense_optimum(pinned)


@st.composite
def custom_problems(draw):
    """Random small problems plus a custom matrix component (weights and values vary)."""
    problem = draw(problems(mentors=(1, 9), mentees=(1, 9), mentor_max=(1, 2), forbidden=True, min_score=True))
    m, n = problem.shape
    values = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]), min_size=m * n, max_size=m * n))
    weight = draw(st.sampled_from([0.1, 0.5, 1.0, 3.0]))
    extra = CustomScore(name="survey", weight=weight, matrix=np.array(values).reshape(m, n))
    return problem.model_copy(update={"scores": (extra,)})


@PROPS
@given(problem=custom_problems(), k=st.integers(1, 3))
def test_custom_components_keep_the_sparse_certificate(problem, k):
    expected = dense_optimum(problem)
    result = pairmatch.solve(problem, SolveParams(method="sparse", candidates_per_person=k))
    assert_certified(result, problem, expected)


def test_uniform_random_custom_scores_scored_in_chunks_are_certified():
    problem = family("uniform", 150, seed=1)
    result = pairmatch.solve(problem, SolveParams(method="sparse", candidates_per_person=2))
    assert result.certificate["pairs_scored_exactly"] == 150 * 150  # no structure to bound by
    assert_certified(result, problem, dense_optimum(problem))
