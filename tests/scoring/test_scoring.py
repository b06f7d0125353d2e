"""Score components with exact expected values, and the vectorised scorer against a per-pair loop."""

from __future__ import annotations

import numpy as np
import pytest

import pairmatch
from pairmatch import Mentee, Mentor, Problem, Weights
from pairmatch.availability import window_slots
from pairmatch.scoring import Scorer, score_table

FOCUS_ONLY = Weights(focus=1, borough=0, availability=0)
BOROUGH_ONLY = Weights(focus=0, borough=1, availability=0)
AVAILABILITY_ONLY = Weights(focus=0, borough=0, availability=1)


def one_pair(mentor: dict, mentee: dict, weights: Weights | None = None, **problem) -> pairmatch.ScoreTable:
    return pairmatch.score(
        Problem(
            mentors=[Mentor(id="A", **mentor)],
            mentees=[Mentee(id="X", **mentee)],
            weights=weights or Weights(),
            **problem,
        )
    )


# --- focus -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("knife crime", "knife crime", 1.0),  # exact topic
        ("knife crime", "violent crime", 0.5),  # one step
        ("knife crime", "community safety", 0.25),  # knife -> violent -> community safety
        ("domestic abuse", "knife crime", 0.125),  # domestic abuse -> VAWG -> violent -> knife
        ("knife crime", "social inequality", 0.5),  # one step: deprivation and knife violence
        ("online safety", "robbery", 0.0),  # beyond the maximum distance of 3
        ("stop and search", "racial disproportionality", 0.5),
        ("hate crime", "social inequality", 0.25),  # via equality and inclusion
    ],
)
def test_focus_component(a, b, expected):
    table = one_pair({"focus_areas": [a]}, {"focus_areas": [b]}, FOCUS_ONLY)
    assert table.components["focus"][0, 0] == expected
    assert table.total[0, 0] == expected
    # Relatedness is symmetric.
    assert one_pair({"focus_areas": [b]}, {"focus_areas": [a]}, FOCUS_ONLY).total[0, 0] == expected


def test_focus_takes_the_best_topic_pair():
    table = one_pair(
        {"focus_areas": ["social inequality", "gang violence"]},
        {"focus_areas": ["online safety", "knife crime"]},
        FOCUS_ONLY,
    )
    # gang violence -> knife crime and social inequality -> knife crime are the closest links
    # (1 step); online safety is further from both mentor topics.
    assert table.components["focus"][0, 0] == 0.5


@pytest.mark.parametrize(("mentor", "mentee"), [([], ["knife crime"]), (["knife crime"], []), ([], [])])
def test_focus_is_zero_when_a_side_lists_no_topic(mentor, mentee):
    assert one_pair({"focus_areas": mentor}, {"focus_areas": mentee}).components["focus"][0, 0] == 0.0


def test_custom_taxonomy_decay_and_distance():
    tax = pairmatch.Taxonomy([("a", "b"), ("b", "c"), ("c", "d")], decay=0.3, max_distance=2)
    assert [tax.relatedness("a", t) for t in "abcd"] == [1.0, 0.3, pytest.approx(0.09), 0.0]
    problem = Problem(
        mentors=[Mentor(id="M", focus_areas=["a"])],
        mentees=[Mentee(id="E", focus_areas=["c"]), Mentee(id="F", focus_areas=["d"])],
        taxonomy=tax,
        weights=FOCUS_ONLY,
    )
    assert pairmatch.score(problem).total[0].tolist() == [pytest.approx(0.09), 0.0]


# --- borough -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Newham", "Newham", 1.0),  # same borough
        ("Newham", "Tower Hamlets", 0.6),  # adjacent
        ("Merton", "Richmond upon Thames", 0.5),  # same BCU (South West), not adjacent
        ("Bromley", "Sutton", 0.5),  # same BCU (South), not adjacent
        ("Westminster", "Hammersmith and Fulham", 0.5),  # same BCU (Central West), not adjacent
        ("Tower Hamlets", "Redbridge", 0.2),  # two borders apart, different BCUs
        ("Brent", "Newham", 0.0),  # far
        ("Hillingdon", "Havering", 0.0),  # far
    ],
)
def test_borough_component(a, b, expected):
    table = one_pair({"boroughs": [a]}, {"boroughs": [b]}, BOROUGH_ONLY)
    assert table.components["borough"][0, 0] == expected
    assert one_pair({"boroughs": [b]}, {"boroughs": [a]}, BOROUGH_ONLY).total[0, 0] == expected


def test_borough_takes_the_best_pair_of_places():
    table = one_pair({"boroughs": ["Brent", "Hackney"]}, {"boroughs": ["Havering", "Tower Hamlets"]}, BOROUGH_ONLY)
    assert table.components["borough"][0, 0] == 0.6


def test_borough_is_zero_when_a_side_lists_none():
    assert one_pair({"boroughs": []}, {"boroughs": ["Brent"]}).components["borough"][0, 0] == 0.0


# --- availability ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentor", "mentee", "meeting", "overlap", "expected"),
    [
        (["Mon 18:00-20:00"], ["Mon 18:00-20:00"], 60, 120, 1.0),  # capped at 1
        (["Mon 18:00-20:00"], ["Mon 19:30-21:00"], 60, 30, 0.5),
        (["Mon 18:00-20:00"], ["Mon 19:00-21:00"], 60, 60, 1.0),
        (["Mon 18:00-20:00"], ["Mon 19:00-21:00"], 90, 60, 2 / 3),
        (["Mon 18:00-20:00"], ["Tue 18:00-20:00"], 60, 0, 0.0),  # same hours, different day
        (["Mon 18:00-19:00", "Sat 10:00-11:00"], ["Mon 18:30-19:00", "Sat 10:30-12:00"], 120, 60, 0.5),
        ([], ["Mon 18:00-20:00"], 60, 0, 0.0),
        (["Sun 23:00-24:00"], ["Mon 00:00-01:00"], 30, 0, 0.0),  # the week does not wrap
    ],
)
def test_availability_component(mentor, mentee, meeting, overlap, expected):
    table = one_pair({"availability": mentor}, {"availability": mentee}, AVAILABILITY_ONLY, meeting_minutes=meeting)
    assert table.overlap_minutes[0, 0] == overlap
    assert table.components["availability"][0, 0] == pytest.approx(expected, abs=1e-15)


# --- combination -------------------------------------------------------------------------------


def test_weighted_combination():
    # Pilot M1-O1 components: focus 1, borough 0.6, availability 1.
    mentor = {"focus_areas": ["knife crime"], "boroughs": ["Tower Hamlets"], "availability": ["Tue 18:00-20:00"]}
    mentee = {"focus_areas": ["knife crime"], "boroughs": ["Hackney"], "availability": ["Tue 19:00-21:00"]}
    assert one_pair(mentor, mentee).total[0, 0] == pytest.approx(0.5 * 1 + 0.3 * 0.6 + 0.2 * 1)
    assert one_pair(mentor, mentee, Weights(focus=2, borough=1, availability=1)).total[0, 0] == pytest.approx(3.6)
    table = one_pair(mentor, mentee, Weights(focus=0, borough=1, availability=0))
    # A zero weight drops the component from the total but it is still reported.
    assert table.total[0, 0] == pytest.approx(0.6)
    assert table.components["focus"][0, 0] == 1.0
    assert table.weights == {"borough": 1.0}  # only components that count are weighed


def test_score_arrays_are_read_only_and_in_range():
    table = pairmatch.score(pairmatch.synthetic_problem(15, 11, seed=4))
    assert table.shape == (15, 11)
    for _name, arr in (*table.components.items(), ("total", table.total)):
        assert arr.shape == (15, 11)
        with pytest.raises(ValueError, match="read-only"):
            arr[0, 0] = 0.5
    for arr in table.components.values():
        assert ((arr >= 0) & (arr <= 1)).all()


# --- vectorised scorer vs a per-pair loop ------------------------------------------------------


def naive_table(problem: Problem) -> dict[str, np.ndarray]:
    """The docstring formulas evaluated pair by pair with plain Python."""
    tax, geo = problem.taxonomy, problem.geography
    w = problem.weights.as_dict()
    shape = problem.shape
    out = {name: np.zeros(shape) for name in ("focus", "borough", "availability", "total")}
    for i, m in enumerate(problem.mentors):
        for j, e in enumerate(problem.mentees):
            focus = max((tax.relatedness(a, b) for a in m.focus_areas for b in e.focus_areas), default=0.0)
            borough = max((geo.score(a, b) for a in m.boroughs for b in e.boroughs), default=0.0)
            common = len(window_slots(m.availability) & window_slots(e.availability)) * 30
            avail = min(1.0, common / problem.meeting_minutes)
            out["focus"][i, j], out["borough"][i, j], out["availability"][i, j] = focus, borough, avail
            out["total"][i, j] = w["focus"] * focus + w["borough"] * borough + w["availability"] * avail
    return out


@pytest.mark.parametrize(("n_mentors", "n_mentees", "seed"), [(12, 12, 0), (25, 9, 1), (7, 30, 2), (40, 40, 3)])
def test_scorer_table_equals_per_pair_loop(n_mentors, n_mentees, seed):
    problem = pairmatch.synthetic_problem(
        n_mentors, n_mentees, seed=seed, weights=Weights(focus=0.45, borough=0.35, availability=0.2)
    )
    expected = naive_table(problem)
    table = score_table(Scorer(problem))
    for name in ("focus", "borough", "availability"):
        np.testing.assert_allclose(table.components[name], expected[name], rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(table.total, expected["total"], rtol=0, atol=1e-12)
    # Synthetic problems should exercise every component, not only zeros.
    for name in ("focus", "borough", "availability"):
        assert table.components[name].max() > 0


@pytest.mark.parametrize("chunk_cells", [1, 7, 64, 10**6])
def test_chunked_scoring_equals_whole_table(chunk_cells):
    problem = pairmatch.synthetic_problem(23, 17, seed=5)
    whole = score_table(Scorer(problem))
    chunked = score_table(Scorer(problem), chunk_cells=chunk_cells)
    for name in whole.components:
        np.testing.assert_array_equal(chunked.components[name], whole.components[name])
    np.testing.assert_array_equal(chunked.total, whole.total)
    np.testing.assert_array_equal(chunked.overlap_minutes, whole.overlap_minutes)


def test_score_matches_solver_pairs():
    # The pairs of a result carry the same numbers as the score table.
    problem = pairmatch.synthetic_problem(10, seed=6)
    table = pairmatch.score(problem)
    mi, ei = problem.mentor_index(), problem.mentee_index()
    result = pairmatch.solve(problem)
    assert result.pairs
    for pair in result.pairs:
        i, j = mi[pair.mentor_id], ei[pair.mentee_id]
        assert pair.score == table.total[i, j]
        assert dict(pair.components) == table.breakdown(i, j)
        assert sum(pair.contributions.values()) == pytest.approx(pair.score, abs=1e-12)
