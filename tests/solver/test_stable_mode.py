"""The stable objective and the blocking pairs of any result, against definitions written out here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import pairmatch as pm

from strategies import problems

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rank_key(score: float, index: int) -> tuple[float, int]:
    """Higher score first, then the lower index (the documented tie rule)."""
    return (-score, index)


def brute_blocking(problem: pm.Problem, result: pm.MatchResult) -> set[tuple[str, str]]:
    """Blocking pairs straight from the definition, with plain loops."""
    total = pm.score(problem).total
    checker = pm.solve(problem, pm.SolveParams(method="dense")).context.candidates
    m, n = total.shape
    pairs = {(p.mentor_id, p.mentee_id) for p in result.pairs}
    mentors = [p.id for p in problem.mentors]
    mentees = [p.id for p in problem.mentees]
    partners_m = {i: [j for j in range(n) if (mentors[i], mentees[j]) in pairs] for i in range(m)}
    partners_e = {j: [i for i in range(m) if (mentors[i], mentees[j]) in pairs] for j in range(n)}
    out = set()
    for i, j in itertools.product(range(m), range(n)):
        if (mentors[i], mentees[j]) in pairs or checker.blocked_pairs(np.array([i]), np.array([j]))[0]:
            continue
        cap_i, cap_j = problem.mentors[i].max_partners, problem.mentees[j].max_partners
        wants_i = len(partners_m[i]) < cap_i or any(
            rank_key(total[i, j], j) < rank_key(total[i, k], k) for k in partners_m[i]
        )
        wants_j = len(partners_e[j]) < cap_j or any(
            rank_key(total[i, j], i) < rank_key(total[k, j], k) for k in partners_e[j]
        )
        if wants_i and wants_j and cap_i and cap_j:
            out.add((mentors[i], mentees[j]))
    return out


@PROPS
@given(problem=problems(mentors=(1, 5), mentees=(1, 5), mentor_max=(0, 2), forbidden=True, min_score=True))
def test_stable_objective_has_no_blocking_pair_and_prices_stability(problem):
    result = pm.solve(problem, pm.SolveParams(objective="stable"))
    assert result.objective_name == "stable"
    assert result.status == "optimal"
    assert brute_blocking(problem, result) == set()
    assert pm.blocking_pairs(result) == []
    assert pm.is_stable(result)
    assert pm.is_feasible(result, problem), pm.violations(result, problem)
    best = pm.solve(problem)
    cert = result.certificate
    assert cert["cost_of_stability"] >= 0
    assert cert["cost_of_stability"] == pytest.approx(
        best.objective - result.objective, abs=best.certificate["rounding_bound"] * 2 + 1e-12
    )


@PROPS
@given(problem=problems(mentors=(1, 5), mentees=(1, 5), mentor_max=(1, 2), forbidden=True))
def test_blocking_pairs_of_any_result_equal_the_definition(problem):
    for objective in ("max_score", "maxmin"):
        result = pm.solve(problem, pm.SolveParams(objective=objective))
        found = {(b.mentor_id, b.mentee_id) for b in pm.blocking_pairs(result)}
        assert found == brute_blocking(problem, result)


def test_with_shared_scores_both_proposers_give_the_one_greedy_matching():
    problem = pm.synthetic_problem(60, 50, seed=5, mentor_capacity=2)
    by_mentors = pm.solve(problem, pm.SolveParams(objective="stable", proposer="mentor"))
    by_mentees = pm.solve(problem, pm.SolveParams(objective="stable", proposer="mentee"))
    assert by_mentors.pairs == by_mentees.pairs
    assert by_mentors.certificate["unique_stable_matching"]
    # Greedy by (score desc, mentor, mentee) while both have room: the unique stable matching.
    total = pm.score(problem).total
    order = sorted(itertools.product(range(60), range(50)), key=lambda ij: (-total[ij], ij[0], ij[1]))
    room_m, room_e, greedy = [2] * 60, [1] * 50, set()
    for i, j in order:
        if room_m[i] and room_e[j]:
            room_m[i] -= 1
            room_e[j] -= 1
            greedy.add((problem.mentors[i].id, problem.mentees[j].id))
    assert {(p.mentor_id, p.mentee_id) for p in by_mentors.pairs} == greedy


def test_own_mentee_weights_make_the_proposing_side_matter():
    # Mentors rank by the combined score (focus decides); mentees rank by availability alone,
    # which points the other way: two stable matchings, and each proposing side gets its own best.
    def person(cls, pid, topic, window):
        return cls(id=pid, focus_areas=[topic], availability=[window])

    problem = pm.Problem(
        mentors=[
            person(pm.Mentor, "M0", "knife crime", "Tue 18:00-19:00"),
            person(pm.Mentor, "M1", "domestic abuse", "Mon 18:00-19:00"),
        ],
        mentees=[
            person(pm.Mentee, "E0", "knife crime", "Mon 18:00-19:00"),
            person(pm.Mentee, "E1", "domestic abuse", "Tue 18:00-19:00"),
        ],
    )
    params = {"objective": "stable", "mentee_weights": {"availability": 1.0}}
    mentors_first = pm.solve(problem, pm.SolveParams(proposer="mentor", **params))
    mentees_first = pm.solve(problem, pm.SolveParams(proposer="mentee", **params))
    for result in (mentors_first, mentees_first):
        assert pm.blocking_pairs(result, mentee_weights={"availability": 1.0}) == []
        assert not result.certificate["unique_stable_matching"]
    assert [(p.mentor_id, p.mentee_id) for p in mentors_first.pairs] == [("M0", "E0"), ("M1", "E1")]
    assert [(p.mentor_id, p.mentee_id) for p in mentees_first.pairs] == [("M0", "E1"), ("M1", "E0")]
    assert mentees_first.certificate["cost_of_stability"] > mentors_first.certificate["cost_of_stability"] == 0


def test_stable_objective_refuses_rules_preferences_cannot_express():
    problem = pm.synthetic_problem(5, seed=1)
    with pytest.raises(pm.PairmatchError, match="cannot guarantee minimum partners"):
        pm.solve(
            problem.model_copy(update={"rules": pm.Rules(match_all_mentees=True)}), pm.SolveParams(objective="stable")
        )
    with pytest.raises(pm.PairmatchError, match="unknown components"):
        pm.solve(problem, pm.SolveParams(objective="stable", mentee_weights={"rank": 1.0}))


def test_the_public_check_agrees_with_the_stable_objective_when_pairs_are_pinned():
    # B-X is pinned, so X has no place left for A: A-X is not a blocking pair.
    problem = pm.Problem.from_matrix([[0.9], [0.2]], ["A", "B"], ["X"], rules=pm.Rules(required_pairs=[("B", "X")]))
    result = pm.solve(problem, pm.SolveParams(objective="stable"))
    assert result.certificate["blocking_pairs"] == 0
    assert pm.is_stable(result)
    for seed in range(6):
        base = pm.synthetic_problem(8, 8, seed=seed, mentor_capacity=2)
        best = pm.solve(base)
        pins = tuple((p.mentor_id, p.mentee_id) for p in best.pairs[:2])
        pinned = base.model_copy(update={"rules": pm.Rules(required_pairs=pins)})
        stable = pm.solve(pinned, pm.SolveParams(objective="stable"))
        assert stable.certificate["blocking_pairs"] == len(pm.blocking_pairs(stable)) == 0
