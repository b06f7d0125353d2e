"""Bring-your-own scores: custom components and plain score matrices solve optimally and are explained."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.optimize import linear_sum_assignment

import pairmatch as pm
from pairmatch.explanations import explain_pair

from strategies import problems

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = (pm.SolveParams(method="dense"), pm.SolveParams(method="sparse", candidates_per_person=2))


def with_scores(problem: pm.Problem, *scores: pm.CustomScore) -> pm.Problem:
    return pm.Problem(
        mentors=problem.mentors,
        mentees=problem.mentees,
        weights=problem.weights,
        rules=problem.rules,
        meeting_minutes=problem.meeting_minutes,
        scores=scores,
    )


def scipy_optimum(problem: pm.Problem) -> float:
    total = pm.score(problem).total
    rows, cols = linear_sum_assignment(total, maximize=True)
    return float(total[rows, cols].sum())


@st.composite
def custom_components(draw, m: int, n: int) -> tuple[pm.CustomScore, ...]:
    """One to three custom components in any of the three forms, random weights and ranges."""
    out = []
    for k in range(draw(st.integers(1, 3))):
        form = draw(st.sampled_from(["matrix", "entries", "function"]))
        weight = draw(st.sampled_from([0.0, 0.2, 1.0, 3.0]))
        top = draw(st.sampled_from([1.0, 5.0, 1e-6, 1e6]))
        seed = draw(st.integers(0, 2**31))
        values = np.random.default_rng(seed).random((m, n)) * top
        if form == "matrix":
            out.append(pm.CustomScore(name=f"c{k}", weight=weight, matrix=values))
        elif form == "entries":
            cells = draw(st.lists(st.tuples(st.integers(0, m - 1), st.integers(0, n - 1)), max_size=m * n))
            out.append(
                pm.CustomScore(
                    name=f"c{k}",
                    weight=weight,
                    default=float(values[0, 0]),
                    entries=[(f"M{i}", f"E{j}", float(values[i, j])) for i, j in cells],
                )
            )
        else:

            def rating(mentors, mentees, v=values):
                return v[np.ix_(mentors.index, mentees.index)]

            out.append(pm.CustomScore(name=f"c{k}", weight=weight, function=rating, max_value=top))
    return tuple(out)


@PROPS
@given(data=st.data())
def test_custom_components_solve_to_the_scipy_optimum_on_both_paths(data):
    problem = data.draw(problems(mentors=(1, 6), mentees=(1, 6)))
    m, n = problem.shape
    problem = with_scores(problem, *data.draw(custom_components(m, n)))
    best = scipy_optimum(problem)
    for params in METHODS:
        result = pm.solve(problem, params)
        assert pm.is_feasible(result, problem), pm.violations(result, problem)
        assert result.objective == pytest.approx(best, abs=result.certificate["rounding_bound"] + 1e-9 * max(1, best))
        assert set(result.pairs[0].components) == set(problem.component_names) if result.pairs else True


@PROPS
@given(
    m=st.integers(1, 7),
    n=st.integers(1, 7),
    seed=st.integers(0, 2**31),
    top=st.sampled_from([1e-9, 1e-6, 1.0, 1e3, 1e9]),
)
def test_plain_score_matrix_of_any_range_solves_to_the_scipy_optimum(m, n, seed, top):
    scores = np.random.default_rng(seed).random((m, n)) * top
    problem = pm.Problem.from_matrix(scores, [f"a{i}" for i in range(m)], [f"b{j}" for j in range(n)])
    rows, cols = linear_sum_assignment(scores, maximize=True)
    best = float(scores[rows, cols].sum())
    for params in METHODS:
        result = pm.solve(problem, params)
        assert result.status == "optimal"
        assert pm.is_feasible(result, problem)
        bound = result.certificate["rounding_bound"]
        assert bound <= min(m, n) * top * 1e-6 + 1e-300  # relative to the scores, whatever their range
        assert result.objective == pytest.approx(best, abs=bound + 1e-12 * best)
        assert [p.components for p in result.pairs] == [{"score": p.score} for p in result.pairs]


def test_scores_labelled_by_ids_are_aligned_to_the_problem():
    mentors, mentees = ["a", "b"], ["x", "y", "z"]
    matrix = np.array([[0.1, 0.9, 0.2], [0.8, 0.3, 0.4]])
    order_m, order_e = [1, 0], [2, 0, 1]
    labelled = pm.CustomScore(
        name="fit",
        matrix=matrix[np.ix_(order_m, order_e)],
        mentor_ids=[mentors[i] for i in order_m],
        mentee_ids=[mentees[j] for j in order_e],
    )
    problem = pm.Problem(
        mentors=[pm.Mentor(id=i) for i in mentors],
        mentees=[pm.Mentee(id=j) for j in mentees],
        weights=pm.Weights(focus=0, borough=0, availability=0),
        scores=(labelled,),
    )
    assert np.array_equal(problem.scores[0].matrix, matrix)
    result = pm.solve(problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("a", "y"), ("b", "x")]


def test_custom_component_is_explained_in_words():
    problem = pm.pilot_problem()
    rating = pm.CustomScore(
        name="interview", weight=0.2, description="interview rating", entries=[("M1", "O1", 0.8)], default=0.5
    )
    result = pm.solve(with_scores(problem, rating))
    explanation = explain_pair(result, "M1", "O1")
    assert explanation.components["interview"] == 0.8
    assert explanation.contributions["interview"] == pytest.approx(0.16)
    assert explanation.facts["interview"] == "interview rating 0.8 (weight 0.2)"
    assert "interview rating 0.8 (weight 0.2)" in pm.explain(result)
    frame = pytest.importorskip("pandas") and result.to_frame()
    assert {"interview", "interview_contribution"} <= set(frame.columns)


def test_sparse_and_dense_agree_with_a_custom_function_on_a_larger_problem():
    problem = pm.synthetic_problem(60, 70, seed=4)
    ages = {p.id: 18 + k % 7 for k, p in enumerate(problem.mentors)}

    def closeness(mentors, mentees):
        age = np.array([ages[pid] for pid in mentors.ids], dtype=float)
        return np.exp(-np.abs(age[:, None] - 20.0) / 3.0) * np.ones((1, len(mentees)))

    problem = with_scores(problem, pm.CustomScore(name="age_fit", weight=0.25, function=closeness))
    dense, sparse = (pm.solve(problem, params) for params in METHODS)
    assert sparse.certificate["method"] == "sparse"
    assert dense.certificate["method"] == "dense"
    assert sparse.objective == pytest.approx(dense.objective, abs=dense.certificate["rounding_bound"] * 2)
    assert pm.is_feasible(sparse, problem)
    assert pm.is_feasible(dense, problem)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "focus", "matrix": [[1.0]]}, "built-in component"),
        ({"name": "2bad", "matrix": [[1.0]]}, "not a valid component name"),
        ({"name": "x"}, "exactly one of matrix, entries, arcs or function"),
        ({"name": "x", "matrix": [[1.0]], "entries": [("a", "b", 1.0)]}, "exactly one"),
        ({"name": "x", "matrix": [[-1.0]]}, "negative"),
        ({"name": "x", "matrix": [[float("nan")]]}, "NaN or infinite"),
        ({"name": "x", "matrix": [1.0, 2.0]}, "2-dimensional"),
        ({"name": "x", "entries": [("a", "b", -2)]}, "finite number from 0 to"),
        ({"name": "x", "matrix": [[3.0]], "max_value": 2.0}, "above max_value"),
    ],
)
def test_bad_custom_scores_are_rejected_clearly(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        pm.CustomScore(**kwargs)


def test_problem_level_errors_name_the_component_and_the_ids():
    people = {"mentors": [pm.Mentor(id="a")], "mentees": [pm.Mentee(id="x"), pm.Mentee(id="y")]}
    with pytest.raises(ValidationError, match=r"scores\[0\] \('fit'\): matrix has shape \(2, 2\), expected \(1, 2\)"):
        pm.Problem(**people, scores=(pm.CustomScore(name="fit", matrix=np.ones((2, 2))),))
    with pytest.raises(ValidationError, match="entries name 'nobody', which is not a mentee id"):
        pm.Problem(**people, scores=(pm.CustomScore(name="fit", entries=[("a", "nobody", 1.0)]),))
    with pytest.raises(ValidationError, match="mentee_ids: no values for 'y'"):
        pm.Problem(
            **people, scores=(pm.CustomScore(name="fit", matrix=np.ones((1, 1)), mentee_ids=["x"], mentor_ids=["a"]),)
        )
    with pytest.raises(ValidationError, match="component name 'fit' is used 2 times"):
        pm.Problem(**people, scores=(pm.CustomScore(name="fit", matrix=np.ones((1, 2))),) * 2)


def test_a_score_function_that_misbehaves_is_named():
    problem = pm.Problem(
        mentors=[pm.Mentor(id="a")],
        mentees=[pm.Mentee(id="x")],
        scores=(pm.CustomScore(name="bad", function=lambda a, b: np.full((2, 2), 0.5)),),
    )
    with pytest.raises(ValueError, match=r"score function 'bad' returned shape \(2, 2\), expected \(1, 1\)"):
        pm.solve(problem)
    problem = pm.Problem(
        mentors=[pm.Mentor(id="a")],
        mentees=[pm.Mentee(id="x")],
        scores=(pm.CustomScore(name="big", function=lambda a, b: np.full((1, 1), 7.0)),),
    )
    with pytest.raises(ValueError, match=r"returned 7\.0, above its max_value 1\.0"):
        pm.solve(problem)


def test_a_copy_with_new_scores_or_rules_is_validated_again():
    problem = pm.pilot_problem()
    matrix = np.arange(9.0).reshape(3, 3)
    labelled = pm.CustomScore(name="fit", matrix=matrix[::-1], mentor_ids=["M3", "M2", "M1"])
    copy = problem.model_copy(update={"scores": (labelled,)})
    assert np.array_equal(copy.scores[0].matrix, matrix)
    assert copy.scores[0].mentor_ids is None
    with pytest.raises(ValidationError, match="'NOPE' is not a mentee id"):
        problem.model_copy(update={"rules": pm.Rules(forbidden_pairs=[("M1", "NOPE")])})
    with pytest.raises(ValidationError, match="unknown value 'Atlantis'"):
        problem.model_copy(update={"mentors": (pm.Mentor(id="M9", boroughs=["Atlantis"]),)})


@pytest.mark.parametrize(
    "fields",
    [
        {"entries": [("M1", "O1", 1e308)]},
        {"matrix": [[1e13]]},
        {"entries": [("M1", "O1", 1.0)], "weight": 1e300},
        {"entries": [("M1", "O1", 1.0)], "default": 2e12},
    ],
)
def test_values_and_weights_beyond_the_bound_are_refused_before_they_overflow_a_sum(fields):
    with pytest.raises(ValidationError):
        pm.CustomScore(name="huge", **fields)
    assert pm.custom_scores.MAX_VALUE == 1e12
