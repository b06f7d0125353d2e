"""Hand-checked instances: every expected score below is worked out from the
formulas in pairmatch.scoring, the default taxonomy and the London borders.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import pairmatch
from pairmatch import InfeasibleProblemError, Mentee, Mentor, Problem, Rules, SolveParams, Weights
from pairmatch.objectives import OBJECTIVES


def pair_set(result: pairmatch.MatchResult) -> set[tuple[str, str]]:
    return {(p.mentor_id, p.mentee_id) for p in result.pairs}


def assert_matrix(actual, expected) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), rtol=0, atol=1e-12)


def assert_verified(result: pairmatch.MatchResult, problem: Problem) -> None:
    assert pairmatch.violations(result, problem) == []


# --- the pilot-shaped example ------------------------------------------------------------------

# Weights 0.5 focus, 0.3 borough, 0.2 availability; meetings of 60 minutes.
# M1-O1: shared knife crime (1); Tower Hamlets-Hackney adjacent (0.6); Tue 19-20 overlap = 60 min (1).
M1_O1 = 0.5 * 1 + 0.3 * 0.6 + 0.2 * 1
# M2-O2: domestic abuse -> violence against women and girls is one step (0.5);
# Newham-Redbridge adjacent (0.6); Wed 18:00-19:30 overlap = 90 min, capped at 1.
M2_O2 = 0.5 * 0.5 + 0.3 * 0.6 + 0.2 * 1
# M3-O3: shared social inequality (1); both Brent (1); Mon 18-19 = 60 min (1).
M3_O3 = 0.5 * 1 + 0.3 * 1 + 0.2 * 1
# Off-diagonal pairs.
# M1-O2: knife crime -> violent crime -> VAWG two steps (0.25); Tower Hamlets-Newham-Redbridge
# two borders apart in different BCUs (0.2); no common time.
M1_O2 = 0.5 * 0.25 + 0.3 * 0.2 + 0.2 * 0
# M1-O3: knife crime -> stop and search one step (0.5); Tower Hamlets-City of London-Westminster-Brent
# three borders, far (0); Sat 10-11 = 60 min (1).
M1_O3 = 0.5 * 0.5 + 0.2 * 1
# M2-O1: domestic abuse -> VAWG -> violent crime -> knife crime three steps (0.125);
# Newham-Hackney adjacent (0.6); no common time.
M2_O1 = 0.5 * 0.125 + 0.3 * 0.6
# M2-O3: domestic abuse -> VAWG -> social inequality two steps (0.25); Newham-Brent far; no common time.
M2_O3 = 0.5 * 0.25
# M3-O1: social inequality -> knife crime one step (0.5), Brent-Hackney far, Thu 18-19 = 60 min (1).
M3_O1 = 0.5 * 0.5 + 0.2 * 1
# M3-O2: social inequality -> VAWG one step (0.5); Brent-Redbridge far; no common time.
M3_O2 = 0.5 * 0.5
PILOT_MATRIX = [
    [M1_O1, M1_O2, M1_O3],
    [M2_O1, M2_O2, M2_O3],
    [M3_O1, M3_O2, M3_O3],
]


def test_pilot_hand_computed_scores():
    assert pytest.approx(0.88) == M1_O1
    assert pytest.approx(0.63) == M2_O2
    assert pytest.approx(1.0) == M3_O3
    total = pairmatch.score(pairmatch.pilot_problem()).total
    assert_matrix(total, PILOT_MATRIX)


def test_pilot_expected_pairs_and_scores():
    problem = pairmatch.pilot_problem()
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("M1", "O1"), ("M2", "O2"), ("M3", "O3")]
    assert [p.score for p in result.pairs] == pytest.approx([M1_O1, M2_O2, M3_O3], abs=1e-12)
    assert result.objective == pytest.approx(M1_O1 + M2_O2 + M3_O3, abs=1e-12)
    assert result.status == "optimal"
    assert result.unmatched == ()
    assert dict(result.pairs[1].components) == pytest.approx({"focus": 0.5, "borough": 0.6, "availability": 1.0})
    assert dict(result.pairs[1].contributions) == pytest.approx({"focus": 0.25, "borough": 0.18, "availability": 0.2})


@pytest.mark.parametrize(
    ("objective", "backend"),
    [
        (spec.name, backend)
        for spec in OBJECTIVES.values()
        if spec.side_constraints
        for backend in ("auto", *spec.backends)
    ],
)
def test_pilot_same_pairs_under_every_objective_and_backend(objective, backend):
    # The diagonal is best on every criterion here: 3 pairs, weakest 0.63, total 2.51.
    problem = pairmatch.pilot_problem()
    result = pairmatch.solve(problem, SolveParams(objective=objective, backend=backend))
    assert_verified(result, problem)
    assert pair_set(result) == {("M1", "O1"), ("M2", "O2"), ("M3", "O3")}


# --- greedy is wrong ---------------------------------------------------------------------------


def greedy_trap() -> Problem:
    """Focus and borough weighted equally, availability ignored.

    A-X = 0.5*1 + 0.5*1   = 1.0  (shared knife crime, both Newham)
    A-Y = 0.5*1 + 0.5*0.6 = 0.8  (shared knife crime, Newham-Tower Hamlets adjacent)
    B-X = 0.5*1 + 0.5*0   = 0.5  (shared social inequality, Brent-Newham far)
    B-Y = 0.5*0.5 + 0.5*0 = 0.25 (social inequality -> knife crime, Brent-Tower Hamlets far)
    Greedy takes A-X first and ends with 1.25; the optimum A-Y + B-X is 1.3.
    """
    return Problem(
        mentors=[
            Mentor(id="A", focus_areas=["knife crime"], boroughs=["Newham"]),
            Mentor(id="B", focus_areas=["social inequality"], boroughs=["Brent"]),
        ],
        mentees=[
            Mentee(id="X", focus_areas=["knife crime", "social inequality"], boroughs=["Newham"]),
            Mentee(id="Y", focus_areas=["knife crime"], boroughs=["Tower Hamlets"]),
        ],
        weights=Weights(focus=0.5, borough=0.5, availability=0),
    )


@pytest.mark.parametrize("backend", ["auto", "assignment", "flow"])
def test_optimum_beats_greedy(backend):
    problem = greedy_trap()
    assert_matrix(pairmatch.score(problem).total, [[1.0, 0.8], [0.5, 0.25]])
    result = pairmatch.solve(problem, SolveParams(backend=backend))
    assert_verified(result, problem)
    assert pair_set(result) == {("A", "Y"), ("B", "X")}
    assert result.objective == pytest.approx(1.3, abs=1e-12)


# --- many-to-one -------------------------------------------------------------------------------


def capacity_problem(capacity_a: int) -> Problem:
    """Focus only. A covers every mentee's topic exactly; B (violent crime) is
    one step from knife crime (0.5) and two from domestic abuse and from social
    inequality (0.25)."""
    return Problem(
        mentors=[
            Mentor(id="A", focus_areas=["knife crime", "domestic abuse", "social inequality"], max_partners=capacity_a),
            Mentor(id="B", focus_areas=["violent crime"]),
        ],
        mentees=[
            Mentee(id="X", focus_areas=["knife crime"]),
            Mentee(id="Y", focus_areas=["domestic abuse"]),
            Mentee(id="Z", focus_areas=["social inequality"]),
        ],
        weights=Weights(focus=1, borough=0, availability=0),
    )


def test_many_to_one_capacity_two():
    # A takes two of X, Y, Z (1 each); B takes the third: X (0.5) beats Y and Z (0.25).
    problem = capacity_problem(2)
    assert_matrix(pairmatch.score(problem).total, [[1, 1, 1], [0.5, 0.25, 0.25]])
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert pair_set(result) == {("A", "Y"), ("A", "Z"), ("B", "X")}
    assert result.objective == pytest.approx(2.5, abs=1e-12)
    assert result.partners_of("A") == ("Y", "Z")


def test_many_to_one_capacity_three_leaves_the_weaker_mentor_unmatched():
    problem = capacity_problem(3)
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert pair_set(result) == {("A", "X"), ("A", "Y"), ("A", "Z")}
    assert result.objective == pytest.approx(3.0, abs=1e-12)
    [unmatched] = result.unmatched
    assert (unmatched.person_id, unmatched.side, unmatched.code) == ("B", "mentor", "partners_taken")
    assert "best candidate: X" in unmatched.reason


def test_max_participation_trades_score_for_more_pairs():
    """Focus only, B-Y forbidden.

    A-X 1 (shared knife crime), A-Y 0.5 (knife crime -> violent crime),
    B-X 0.25 (community safety -> violent crime -> knife crime).
    max_score keeps A-X alone (1.0 > 0.5 + 0.25); max_participation makes two pairs.
    """
    problem = Problem(
        mentors=[Mentor(id="A", focus_areas=["knife crime"]), Mentor(id="B", focus_areas=["community safety"])],
        mentees=[Mentee(id="X", focus_areas=["knife crime"]), Mentee(id="Y", focus_areas=["violent crime"])],
        weights=Weights(focus=1, borough=0, availability=0),
        rules=Rules(forbidden_pairs=[("B", "Y")]),
    )
    assert_matrix(pairmatch.score(problem).total, [[1, 0.5], [0.25, 0.5]])
    best = pairmatch.solve(problem)
    assert_verified(best, problem)
    assert pair_set(best) == {("A", "X")}
    assert best.objective == pytest.approx(1.0, abs=1e-12)
    assert {(u.person_id, u.code) for u in best.unmatched} == {("B", "partners_taken"), ("Y", "partners_taken")}
    most = pairmatch.solve(problem, SolveParams(objective="max_participation"))
    assert_verified(most, problem)
    assert pair_set(most) == {("A", "Y"), ("B", "X")}
    assert most.objective == pytest.approx(0.75, abs=1e-12)


def test_maxmin_trades_total_for_the_weakest_pair():
    """Focus only.

    A-X 1 (shared knife crime), A-Y 0.5 (knife crime -> violent crime),
    B-X 0.5 (drugs -> gang violence), B-Y 0.25 (drugs -> gang violence -> violent crime).
    max_score: A-X + B-Y = 1.25 with weakest pair 0.25;
    maxmin:    A-Y + B-X = 1.0 with weakest pair 0.5.
    """
    problem = Problem(
        mentors=[Mentor(id="A", focus_areas=["knife crime"]), Mentor(id="B", focus_areas=["drugs"])],
        mentees=[
            Mentee(id="X", focus_areas=["knife crime", "gang violence"]),
            Mentee(id="Y", focus_areas=["violent crime"]),
        ],
        weights=Weights(focus=1, borough=0, availability=0),
    )
    assert_matrix(pairmatch.score(problem).total, [[1, 0.5], [0.5, 0.25]])
    best = pairmatch.solve(problem)
    assert pair_set(best) == {("A", "X"), ("B", "Y")}
    assert best.objective == pytest.approx(1.25, abs=1e-12)
    fair = pairmatch.solve(problem, SolveParams(objective="maxmin"))
    assert_verified(fair, problem)
    assert pair_set(fair) == {("A", "Y"), ("B", "X")}
    assert fair.objective == pytest.approx(1.0, abs=1e-12)
    assert fair.certificate["bottleneck_integer"] == 500_000


def test_maxmin_counts_pinned_pairs_as_pairs():
    """The instance above plus a pinned pair P-W scoring 0.125 (domestic abuse is three
    steps from knife crime). The weakest pair of any matching is now the pin (0.125), so
    max-min cannot gain from A-Y + B-X; the total decides: A-X + B-Y (1.25) + pin = 1.375,
    not A-Y + B-X (1.0) + pin = 1.125.
    """
    problem = Problem(
        mentors=[
            Mentor(id="A", focus_areas=["knife crime"]),
            Mentor(id="B", focus_areas=["drugs"]),
            Mentor(id="P", focus_areas=["domestic abuse"]),
        ],
        mentees=[
            Mentee(id="X", focus_areas=["knife crime", "gang violence"]),
            Mentee(id="Y", focus_areas=["violent crime"]),
            Mentee(id="W", focus_areas=["knife crime"]),
        ],
        weights=Weights(focus=1, borough=0, availability=0),
        rules=Rules(required_pairs=[("P", "W")]),
    )
    assert_matrix(pairmatch.score(problem).total, [[1, 0.5, 1], [0.5, 0.25, 0.25], [0.125, 0.25, 0.125]])
    fair = pairmatch.solve(problem, SolveParams(objective="maxmin"))
    assert_verified(fair, problem)
    assert min(p.score for p in fair.pairs) == 0.125
    assert pair_set(fair) == {("A", "X"), ("B", "Y"), ("P", "W")}
    assert fair.objective == pytest.approx(1.375, abs=1e-12)


# --- hard rules --------------------------------------------------------------------------------


def test_forbidden_and_required_pairs_on_the_pilot():
    """Forbid M3-O3 and M3-O1 and pin M1-O2 (0.185).

    Left: M2, M3 with O1, O3, and M3 may only take O2, which the pin fills.
    M2-O1 (0.2425) beats M2-O3 (0.125). M3's only candidate O2 is then full, and
    so are O3's (M1 pinned, M2 taken): both unmatched.
    """
    base = pairmatch.pilot_problem()
    problem = base.model_copy(
        update={"rules": Rules(forbidden_pairs=[("M3", "O3"), ("M3", "O1")], required_pairs=[("M1", "O2")])}
    )
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert [(p.mentor_id, p.mentee_id, p.pinned) for p in result.pairs] == [("M1", "O2", True), ("M2", "O1", False)]
    assert result.objective == pytest.approx(M1_O2 + M2_O1, abs=1e-12)
    assert result.objective == pytest.approx(0.4275, abs=1e-12)
    assert {(u.person_id, u.side, u.code) for u in result.unmatched} == {
        ("M3", "mentor", "partners_taken"),
        ("O3", "mentee", "partners_taken"),
    }
    assert "(* pinned pair)" in result.summary()
    assert pairmatch.explain_pair(result, "M3", "O3").blocked_by == ("forbidden pair",)
    assert pairmatch.why_not(result, "M3", "O3") == "M3 - O3 is not a candidate: forbidden pair."


def test_required_pair_that_is_forbidden_is_infeasible():
    problem = pairmatch.pilot_problem().model_copy(
        update={"rules": Rules(forbidden_pairs=[("M1", "O1")], required_pairs=[("M1", "O1")])}
    )
    with pytest.raises(InfeasibleProblemError) as info:
        pairmatch.solve(problem)
    [reason] = info.value.reasons
    assert reason["rule"] == "pinned_pair_blocked"
    assert reason["people"] == ["M1", "O1"]
    assert "forbidden pair" in str(info.value)


def test_minimum_partners_hall_violation():
    """X and Y both need a mentor, but B and C are forbidden for both: only A is left,
    and A takes one partner, so {X, Y} needs 2 while its candidates take 1."""
    problem = Problem(
        mentors=[Mentor(id="A"), Mentor(id="B"), Mentor(id="C")],
        mentees=[Mentee(id="X", min_partners=1), Mentee(id="Y", min_partners=1)],
        rules=Rules(forbidden_pairs=[("B", "X"), ("B", "Y"), ("C", "X"), ("C", "Y")]),
    )
    with pytest.raises(InfeasibleProblemError) as info:
        pairmatch.solve(problem)
    hall = [r for r in info.value.reasons if r["rule"] == "hall_violation"]
    assert hall, info.value.reasons
    assert (sorted(hall[0]["people"]), hall[0]["partners"], hall[0]["need"], hall[0]["can_take"]) == (
        ["X", "Y"],
        ["A"],
        2,
        1,
    )


def test_minimum_partners_met_when_possible():
    # Same shape, A now takes two: both mentees are served by A even though scores are all 0.
    problem = Problem(
        mentors=[Mentor(id="A", max_partners=2), Mentor(id="B")],
        mentees=[Mentee(id="X", min_partners=1), Mentee(id="Y", min_partners=1)],
        rules=Rules(forbidden_pairs=[("B", "X"), ("B", "Y")]),
    )
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert pair_set(result) == {("A", "X"), ("A", "Y")}
    assert [(u.person_id, u.code) for u in result.unmatched] == [("B", "no_candidates")]


def test_pair_rules_on_the_pilot():
    """Shared or related focus, 60 common minutes, at most one border apart, different boroughs.

    M3-O3 (both Brent) breaks the borough rule; M3's and O3's other options are more
    than one border apart, so both end up with no candidate at all.
    """
    problem = pairmatch.pilot_problem().model_copy(
        update={
            "rules": Rules(
                require_focus_overlap=True, min_overlap_minutes=60, max_borough_steps=1, forbid_same=("borough",)
            )
        }
    )
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert pair_set(result) == {("M1", "O1"), ("M2", "O2")}
    assert result.objective == pytest.approx(M1_O1 + M2_O2, abs=1e-12)
    assert {(u.person_id, u.code) for u in result.unmatched} == {("M3", "no_candidates"), ("O3", "no_candidates")}
    assert pairmatch.explain_pair(result, "M3", "O3").blocked_by == ("same value of an attribute that must differ",)
    assert set(pairmatch.explain_pair(result, "M3", "O2").blocked_by) == {
        "too little common availability",
        "boroughs too far apart",
    }
    assert set(pairmatch.explain_pair(result, "M2", "O3").blocked_by) == {
        "too little common availability",
        "boroughs too far apart",
    }


def test_forbid_same_bcu_on_the_pilot():
    # M1-O1 (Tower Hamlets, Hackney: Central East) and M3-O3 (Brent) share a BCU; the best
    # matching left is M1-O3 (0.45) + M2-O2 (0.63) + M3-O1 (0.45) = 1.53.
    problem = pairmatch.pilot_problem().model_copy(update={"rules": Rules(forbid_same=("bcu",))})
    result = pairmatch.solve(problem)
    assert_verified(result, problem)
    assert pair_set(result) == {("M1", "O3"), ("M2", "O2"), ("M3", "O1")}
    assert result.objective == pytest.approx(M1_O3 + M2_O2 + M3_O1, abs=1e-12)


@pytest.mark.parametrize(("n_mentors", "n_mentees"), [(0, 0), (1, 0), (0, 2)])
@pytest.mark.parametrize("objective", ["max_score", "max_participation", "maxmin"])
def test_empty_sides(n_mentors, n_mentees, objective):
    # Nobody to match with: an empty, optimal result with everyone listed as unmatched.
    problem = Problem(
        mentors=[Mentor(id=f"M{k}") for k in range(n_mentors)], mentees=[Mentee(id=f"E{k}") for k in range(n_mentees)]
    )
    result = pairmatch.solve(problem, SolveParams(objective=objective))
    assert_verified(result, problem)
    assert result.pairs == ()
    assert result.objective == 0.0
    assert result.status == "optimal"
    assert [u.person_id for u in result.unmatched] == [p.id for p in (*problem.mentors, *problem.mentees)]
    assert all(u.code == "no_candidates" for u in result.unmatched)


# --- the command-line demo ---------------------------------------------------------------------


def test_cli_demo_prints_three_explained_pairs():
    run = subprocess.run(
        [sys.executable, "-m", "pairmatch", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for pair in ("M1 - O1", "M2 - O2", "M3 - O3"):
        assert pair in out
    assert "illustrative" in out.lower()
    assert "shared focus: knife crime" in out
    assert "objective 2.5100" in out


def test_cli_demo_json_is_reproducible():
    cmd = [sys.executable, "-m", "pairmatch", "demo", "--format", "json", "--seed", "7"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert [(p["mentor_id"], p["mentee_id"]) for p in data["pairs"]] == [("M1", "O1"), ("M2", "O2"), ("M3", "O3")]
    assert data["seed"] == 7
    assert math.isclose(data["objective"], 2.51, abs_tol=1e-9)
