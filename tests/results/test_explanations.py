"""Explanations say only what the solver could have done: checked against the verifier.

Every partner an explanation offers (an alternative listed as allowed, the
best candidate an unmatched person is told about) is checked by the public
verifier (`pairmatch.checks.violations`, written from the definitions) on a
matching made of that one pair: it must break no hard rule, no capacity and
no quota that the empty matching keeps. And every partner the verifier
allows, that scores above 0, is offered.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings

import pairmatch as pm
from pairmatch.checks import violations
from pairmatch.explanations import alternatives, explain, why_unmatched
from pairmatch.result import MatchResult, Pair

from strategies import ruled_problems

PROPS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
BROKEN = ("rule", "capacity", "quota")


def problems_broken(problem: pm.Problem, pairs: list[tuple[str, str]]) -> set[tuple[str, tuple[str, ...]]]:
    """What the verifier finds wrong with a matching of exactly ``pairs`` (hard rules only)."""
    pinned = set(problem.rules.required_pairs)
    result = MatchResult(
        pairs=tuple(Pair(m, e, 0.0, {}, {}, pinned=(m, e) in pinned) for m, e in pairs),
        unmatched=(),
        objective=0.0,
        status="feasible",
        objective_name="max_score",
        solver="by hand",
        runtime_s=0.0,
        certificate={},
    )
    return {(v.kind, v.people) for v in violations(result, problem) if v.kind in BROKEN}


def verifier_allows(problem: pm.Problem, mentor_id: str, mentee_id: str) -> bool:
    """Whether the pair alone breaks nothing that no pair at all keeps."""
    return not problems_broken(problem, [(mentor_id, mentee_id)]) - problems_broken(problem, [])


def solved(problem: pm.Problem) -> MatchResult:
    try:
        return pm.solve(problem)
    except pm.InfeasibleProblemError:
        assume(False)
        raise


@PROPS
@given(problem=ruled_problems())
def test_alternatives_are_exactly_the_partners_the_verifier_allows(problem):
    result = solved(problem)
    table = pm.score(problem).total
    mi, ei = problem.mentor_index(), problem.mentee_index()
    for side, people, others in (
        ("mentor", problem.mentors, problem.mentees),
        ("mentee", problem.mentees, problem.mentors),
    ):
        for person in people:
            offered = alternatives(result, person.id, k=len(others))
            expected = set()
            for other in others:
                m, e = (person.id, other.id) if side == "mentor" else (other.id, person.id)
                if other.id in result.partners_of(person.id) or table[mi[m], ei[e]] <= 0:
                    continue
                if verifier_allows(problem, m, e):
                    expected.add(other.id)
            assert {a.partner_id for a in offered} == expected, (person.id, offered)
            for a in offered:
                assert a.blocked_by == ()
                assert a.partner_matched_with == result.partners_of(a.partner_id)
            # Every pair's own explanation says whether it is a candidate, as the verifier does.
            for other in others:
                m, e = (person.id, other.id) if side == "mentor" else (other.id, person.id)
                assert bool(pm.explain_pair(result, m, e).blocked_by) == (not verifier_allows(problem, m, e)), (m, e)
            # Asked for everything, the ruled-out partners carry the reason they are ruled out.
            for a in alternatives(result, person.id, k=len(others), allowed_only=False):
                m, e = (person.id, a.partner_id) if side == "mentor" else (a.partner_id, person.id)
                assert bool(a.blocked_by) == (not verifier_allows(problem, m, e)), (m, e, a)


BEST = re.compile(r"best candidate:? ([^\s,()]+)")


@PROPS
@given(problem=ruled_problems())
def test_an_unmatched_person_is_never_told_of_a_candidate_the_rules_rule_out(problem):
    result = solved(problem)
    text = explain(result, k=3)
    for u in result.unmatched:
        reason = why_unmatched(result, u.person_id)
        assert u.reason in reason
        assert u.reason in text
        for named in BEST.findall(reason):
            m, e = (u.person_id, named) if u.side == "mentor" else (named, u.person_id)
            assert verifier_allows(problem, m, e), (reason, m, e)
        if u.code == "partners_taken":
            assert "at capacity" in reason


def test_a_mentor_who_takes_no_partners_is_neither_a_candidate_nor_an_alternative():
    # O1 and O2 want knife crime; M1 could be a perfect partner but takes no partners.
    problem = pm.Problem(
        mentors=[
            pm.Mentor(id="M1", focus_areas=["knife crime"], max_partners=0),
            pm.Mentor(id="M2", focus_areas=["knife crime"]),
        ],
        mentees=[pm.Mentee(id="O1", focus_areas=["knife crime"]), pm.Mentee(id="O2", focus_areas=["knife crime"])],
        rules=pm.Rules(forbidden_pairs=[("M2", "O1")]),
    )
    result = pm.solve(problem)
    assert why_unmatched(result, "O1") == (
        "mentee O1 is unmatched: no candidate mentor: every pair is ruled out - "
        "forbidden pair (1 mentor); takes no partners (1 mentor)"
    )
    assert alternatives(result, "O1") == []
    assert [(a.partner_id, a.blocked_by) for a in alternatives(result, "O1", allowed_only=False)] == [
        ("M1", ("takes no partners",)),
        ("M2", ("forbidden pair",)),
    ]
    assert alternatives(result, "M1") == []
    assert "M1 (" not in explain(result)


@pytest.mark.parametrize("side", ["mentor", "mentee"])
def test_a_quota_that_allows_a_group_no_pairs_closes_it_like_a_capacity_of_zero(side):
    problem = pm.Problem(
        mentors=[pm.Mentor(id="M1", boroughs=["Brent"]), pm.Mentor(id="M2", boroughs=["Newham"])],
        mentees=[pm.Mentee(id="O1", boroughs=["Brent"]), pm.Mentee(id="O2", boroughs=["Newham"])],
        rules=pm.Rules(quotas=[pm.Quota(side=side, key="borough", value="Brent", max_pairs=0)]),
    )
    result = pm.solve(problem)
    closed, other = ("M1", "O1") if side == "mentor" else ("O1", "M1")
    assert alternatives(result, other) == []
    assert closed not in {a.partner_id for a in alternatives(result, "M2" if side == "mentee" else "O2", k=5)}


def test_a_pair_with_someone_who_takes_no_partners_is_not_a_candidate():
    problem = pm.Problem(
        mentors=[pm.Mentor(id="M1", focus_areas=["knife crime"], max_partners=0)],
        mentees=[pm.Mentee(id="O1", focus_areas=["knife crime"])],
    )
    result = pm.solve(problem)
    explained = pm.explain_pair(result, "M1", "O1")
    assert explained.blocked_by == ("takes no partners",)
    assert "(not a candidate)" in explained.text()
    assert pm.why_not(result, "M1", "O1") == "M1 - O1 is not a candidate: takes no partners."
