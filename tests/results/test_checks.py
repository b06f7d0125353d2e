"""The verifier (`pairmatch.checks`): it catches every kind of broken result, and passes correct ones.

Broken results are built from a correct one (`solve` on a small hand-made
problem) by changing one thing, or by checking a result against a stricter
problem than the one it solves. Each must be caught with exactly the kind
expected, and every kind in `VIOLATION_KINDS` has such an example.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch import checks
from pairmatch.checks import VIOLATION_KINDS, Violation
from pairmatch.models import Quota

from strategies import problems

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# About half the draws with random hard rules are infeasible or empty, so they get more examples.
RULE_PROPS = settings(PROPS, max_examples=80)


def mentor(pid: str, topic: str | None, borough: str | None, window: str | None, **fields) -> pm.Mentor:
    return pm.Mentor(
        id=pid,
        focus_areas=[topic] if topic else [],
        boroughs=[borough] if borough else [],
        availability=[window] if window else [],
        **fields,
    )


def mentee(pid: str, topic: str | None, borough: str | None, window: str | None, **fields) -> pm.Mentee:
    return pm.Mentee(
        id=pid,
        focus_areas=[topic] if topic else [],
        boroughs=[borough] if borough else [],
        availability=[window] if window else [],
        **fields,
    )


MENTORS = (
    mentor("A", "knife crime", "Newham", "Mon 18:00-20:00", name="Asha", attributes={"team": "east"}),
    mentor("B", "domestic abuse", "Brent", "Tue 18:00-20:00", attributes={"team": "west"}),
    mentor("C", "mental health", "Havering", "Wed 18:00-20:00", attributes={"team": "east"}),
)
MENTEES = (
    mentee("X", "knife crime", "Newham", "Mon 18:00-20:00", name="Cdr Smith"),
    mentee("Y", "domestic abuse", "Brent", "Tue 18:00-20:00"),
    mentee("Z", "mental health", "Havering", "Wed 18:00-20:00"),
)


def base(**fields) -> pm.Problem:
    """Three mentors, three mentees; the best matching is A-X, B-Y, C-Z (each scores 1)."""
    return pm.Problem(**{"mentors": MENTORS, "mentees": MENTEES, **fields})


def with_spare_mentee(**fields) -> pm.Problem:
    """`base` plus a mentee W who is left unmatched."""
    spare = mentee("W", "online safety", "Bromley", "Sun 10:00-11:00")
    return pm.Problem(**{"mentors": MENTORS, "mentees": (*MENTEES, spare), **fields})


def pair_of(result: pm.MatchResult, mentor_id: str) -> pm.Pair:
    (found,) = [p for p in result.pairs if p.mentor_id == mentor_id]
    return found


def recounted(result: pm.MatchResult) -> pm.MatchResult:
    """``result`` with its certificate's integer objective recounted from its pairs, so that a
    broken example breaks one thing only."""
    scale = result.certificate["scale"]
    total = int(sum(round(p.score * scale) for p in result.pairs))
    return dataclasses.replace(result, certificate={**result.certificate, "integer_objective": total})


def replace_pair(result: pm.MatchResult, mentor_id: str, **changes) -> pm.MatchResult:
    old = pair_of(result, mentor_id)
    new = dataclasses.replace(old, **changes)
    return recounted(
        dataclasses.replace(
            result,
            pairs=tuple(new if p is old else p for p in result.pairs),
            objective=result.objective - old.score + new.score,
        )
    )


def drop_pair(result: pm.MatchResult, mentor_id: str) -> pm.MatchResult:
    """The result without one pair; both people join the unmatched list (objective adjusted)."""
    old = pair_of(result, mentor_id)
    unmatched = (
        pm.Unmatched(old.mentor_id, "mentor", "not_chosen", "dropped"),
        pm.Unmatched(old.mentee_id, "mentee", "not_chosen", "dropped"),
        *result.unmatched,
    )
    return recounted(
        dataclasses.replace(
            result,
            pairs=tuple(p for p in result.pairs if p is not old),
            unmatched=unmatched,
            objective=result.objective - old.score,
        )
    )


def add_pairs(result: pm.MatchResult, *pairs: pm.Pair) -> pm.MatchResult:
    return recounted(
        dataclasses.replace(
            result, pairs=(*result.pairs, *pairs), objective=result.objective + sum(p.score for p in pairs)
        )
    )


def one_pair(m: pm.Mentor, e: pm.Mentee, rules: pm.Rules) -> tuple[pm.MatchResult, pm.Problem]:
    """The solved 1 x 1 problem without ``rules``, checked against the problem with them."""
    result = pm.solve(pm.Problem(mentors=[m], mentees=[e]))
    assert len(result.pairs) == 1
    return result, pm.Problem(mentors=[m], mentees=[e], rules=rules)


def rating_problem() -> pm.Problem:
    ratings = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.0, 0.2, 0.7]])
    return base(scores=(pm.CustomScore(name="rating", weight=0.3, matrix=ratings),))


def solved(problem: pm.Problem) -> tuple[pm.MatchResult, pm.Problem]:
    return pm.solve(problem), problem


class Broken(NamedTuple):
    kinds: frozenset[str]
    build: Callable[[], tuple[pm.MatchResult, pm.Problem]]
    words: str = ""  # a phrase the message must contain


def _b(kinds: str | set[str], build, words: str = "") -> Broken:
    return Broken(frozenset({kinds} if isinstance(kinds, str) else kinds), build, words)


def _rule(m, e, rules, words):
    return _b("rule", lambda: one_pair(m, e, rules), words)


BROKEN = {
    # ids and duplicates
    "unknown_mentee": _b(
        "unknown_id",
        lambda: (add_pairs(pm.solve(base()), pm.Pair("A", "ghost", 0.0, {}, {})), base()),
        "'ghost' is not a mentee",
    ),
    "mentee_as_mentor": _b(
        "unknown_id",
        lambda: (add_pairs(pm.solve(base()), pm.Pair("X", "A", 0.0, {}, {})), base()),
        "'X' is not a mentor",
    ),
    "unknown_unmatched": _b(
        "unknown_id",
        lambda: (
            dataclasses.replace(pm.solve(base()), unmatched=(pm.Unmatched("ghost", "mentee", "not_chosen", "?"),)),
            base(),
        ),
        "ghost",
    ),
    "duplicate_pair": _b(
        "duplicate_pair", lambda: (add_pairs(r := pm.solve(base()), pair_of(r, "A")), base()), "listed 2 times"
    ),
    # scores and components
    "score_off_by_a_hundredth": _b(
        "score",
        lambda: (replace_pair(r := pm.solve(base()), "A", score=pair_of(r, "A").score + 0.01), base()),
        "Asha (A) with Cdr Smith (X) reports score",
    ),
    "swapped_partners": _b(
        {"score", "component"},
        lambda: (
            dataclasses.replace(
                r := pm.solve(base()),
                pairs=(
                    dataclasses.replace(pair_of(r, "A"), mentee_id="Y"),
                    dataclasses.replace(pair_of(r, "B"), mentee_id="X"),
                    pair_of(r, "C"),
                ),
            ),
            base(),
        ),
    ),
    "focus_value_wrong": _b(
        "component",
        lambda: (
            replace_pair(r := pm.solve(base()), "A", components={**pair_of(r, "A").components, "focus": 0.5}),
            base(),
        ),
        "reports focus = 0.5",
    ),
    "contribution_wrong": _b(
        "component",
        lambda: (
            replace_pair(r := pm.solve(base()), "A", contributions={**pair_of(r, "A").contributions, "borough": 0.0}),
            base(),
        ),
        "borough contribution",
    ),
    "component_missing": _b(
        "component",
        lambda: (replace_pair(_r := pm.solve(base()), "A", components={"focus": 1.0, "borough": 1.0}), base()),
        "missing availability",
    ),
    "custom_value_wrong": _b(
        "component",
        lambda: (
            replace_pair(
                r := pm.solve(rating_problem()), "A", components={**pair_of(r, "A").components, "rating": 0.5}
            ),
            rating_problem(),
        ),
        "reports rating = 0.5",
    ),
    "custom_matrix_differs": _b(
        {"score", "component"},
        lambda: (
            pm.solve(rating_problem()),
            base(scores=(pm.CustomScore(name="rating", weight=0.3, matrix=np.full((3, 3), 0.5)),)),
        ),
    ),
    # hard rules, each on a pair the rule removes
    "forbidden": _b(
        "rule", lambda: (pm.solve(base()), base(rules=pm.Rules(forbidden_pairs=(("A", "X"),)))), "forbidden pair"
    ),
    "min_score": _rule(
        mentor("A", "knife crime", "Newham", None),
        mentee("X", "knife crime", "Brent", None),
        pm.Rules(min_score=0.6),
        "score below the minimum",
    ),
    "focus_overlap": _rule(
        mentor("A", None, "Newham", None),
        mentee("X", "knife crime", "Newham", None),
        pm.Rules(require_focus_overlap=True),
        "no shared or related focus area",
    ),
    "overlap_minutes": _rule(
        mentor("A", "drugs", None, "Mon 18:00-19:00"),
        mentee("X", "drugs", None, "Mon 18:00-20:00"),
        pm.Rules(min_overlap_minutes=90),
        "60 common minutes",
    ),
    "borough_steps": _rule(
        mentor("A", "drugs", "Newham", None),
        mentee("X", "drugs", "Brent", None),
        pm.Rules(max_borough_steps=3),
        "4 borders apart",
    ),
    "borough_steps_no_borough": _rule(
        mentor("A", "drugs", None, None),
        mentee("X", "drugs", "Brent", None),
        pm.Rules(max_borough_steps=30),
        "no connected boroughs",
    ),
    "same_attribute": _rule(
        mentor("A", "drugs", None, None, attributes={"command": "north"}),
        mentee("X", "drugs", None, None, attributes={"command": "north"}),
        pm.Rules(forbid_same=("command",)),
        "command = 'north'",
    ),
    "same_borough": _rule(
        mentor("A", "drugs", "Newham", None),
        mentee("X", "drugs", "Newham", None),
        pm.Rules(forbid_same=("borough",)),
        "both list Newham",
    ),
    "same_bcu": _rule(
        mentor("A", "drugs", "Havering", None),
        mentee("X", "drugs", "Barking and Dagenham", None),
        pm.Rules(forbid_same=("bcu",)),
        "both in BCU East",
    ),
    # capacities
    "over_capacity": _b(
        "capacity",
        lambda: (
            pm.solve(base(mentors=(MENTORS[0].model_copy(update={"max_partners": 2}),), mentees=MENTEES[:2])),
            base(mentors=MENTORS[:1], mentees=MENTEES[:2]),
        ),
        "has 2 partners",
    ),
    "under_min_partners": _b(
        "capacity",
        lambda: (
            drop_pair(pm.solve(base()), "A"),
            base(mentors=(MENTORS[0].model_copy(update={"min_partners": 1}), *MENTORS[1:])),
        ),
        "has 0 partners; allowed 1..1",
    ),
    "match_all_mentees": _b(
        "capacity",
        lambda: (drop_pair(pm.solve(base()), "A"), base(rules=pm.Rules(match_all_mentees=True))),
        "match_all_mentees",
    ),
    # pinned pairs
    "pinned_pair_dropped": _b(
        "required_pair_missing",
        lambda: (drop_pair(pm.solve(p := base(rules=pm.Rules(required_pairs=(("A", "X"),)))), "A"), p),
        "required_pairs",
    ),
    "pinned_not_flagged": _b(
        "pinned_flag",
        lambda: (replace_pair(pm.solve(p := base(rules=pm.Rules(required_pairs=(("A", "X"),)))), "A", pinned=False), p),
        "not flagged pinned",
    ),
    "flagged_not_required": _b(
        "pinned_flag", lambda: (replace_pair(pm.solve(base()), "B", pinned=True), base()), "not in rules.required_pairs"
    ),
    # quotas
    "quota_min": _b(
        "quota",
        lambda: (
            pm.solve(base()),
            base(rules=pm.Rules(quotas=(Quota(side="mentee", key="focus", value="knife crime", min_pairs=2),))),
        ),
        "fewer than 2",
    ),
    "quota_max": _b(
        "quota",
        lambda: (pm.solve(base()), base(rules=pm.Rules(quotas=(Quota(side="mentor", key="team", max_pairs=1),)))),
        "team = 'east', more than 1",
    ),
    "quota_share": _b(
        "quota",
        lambda: (
            pm.solve(base()),
            base(rules=pm.Rules(quotas=(Quota(side="mentor", key="bcu", value="East", max_share=0.3),))),
        ),
        "more than 30% of 3",
    ),
    # result-wide
    "objective": _b(
        "objective",
        lambda: (dataclasses.replace(r := pm.solve(base()), objective=r.objective + 0.5), base()),
        "differs from the sum",
    ),
    "unmatched_missing": _b(
        "unmatched_list",
        lambda: (dataclasses.replace(pm.solve(with_spare_mentee()), unmatched=()), with_spare_mentee()),
        "W has no partner but is not listed",
    ),
    "unmatched_extra": _b(
        "unmatched_list",
        lambda: (
            dataclasses.replace(
                r := pm.solve(base()), unmatched=(*r.unmatched, pm.Unmatched("A", "mentor", "not_chosen", "?"))
            ),
            base(),
        ),
        "is listed as unmatched",
    ),
    "unmatched_twice": _b(
        "unmatched_list",
        lambda: (
            dataclasses.replace(r := pm.solve(with_spare_mentee()), unmatched=r.unmatched * 2),
            with_spare_mentee(),
        ),
        "2 times",
    ),
    "unmatched_wrong_side": _b(
        "unmatched_list",
        lambda: (
            dataclasses.replace(
                pm.solve(with_spare_mentee()), unmatched=(pm.Unmatched("W", "mentor", "not_chosen", "?"),)
            ),
            with_spare_mentee(),
        ),
        "with side 'mentor'",
    ),
    "optimal_without_proof": _b(
        "certificate", lambda: (dataclasses.replace(pm.solve(base()), certificate={}), base()), "no proof"
    ),
    "integer_objective_wrong": _b(
        "certificate",
        lambda: (
            dataclasses.replace(
                r := pm.solve(base()),
                certificate={**r.certificate, "integer_objective": r.certificate["integer_objective"] - 10_000},
            ),
            base(),
        ),
        "not the pairs' total",
    ),
    "unknown_status": _b("status", lambda: (dataclasses.replace(pm.solve(base()), status="great"), base()), "'great'"),
}


def caught_kinds(example: Broken) -> set[str]:
    result, problem = example.build()
    found = checks.violations(result, problem)
    assert found, "a broken result passed the verifier"
    kinds = {v.kind for v in found}
    assert kinds == example.kinds, found
    assert all(isinstance(v, Violation) and v.kind in VIOLATION_KINDS and v.message for v in found)
    assert any(example.words in v.message for v in found), [v.message for v in found]
    assert not checks.is_feasible(result, problem)
    return kinds


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_result_is_caught_with_its_kind(name):
    caught_kinds(BROKEN[name])


@pytest.mark.parametrize("kind", VIOLATION_KINDS)
def test_every_kind_has_a_broken_example_of_its_own(kind):
    assert any(example.kinds == {kind} for example in BROKEN.values())


def test_broken_examples_fail_against_a_verifier_that_finds_nothing(monkeypatch):
    monkeypatch.setattr(checks, "violations", lambda result, problem, **_: [])
    for name, example in BROKEN.items():
        with pytest.raises(AssertionError):  # noqa: PT012 - the fail() only runs if nothing raised
            caught_kinds(example)
            pytest.fail(f"{name} passed with an empty verifier")


def test_unbroken_bases_pass():
    for problem in (
        base(),
        with_spare_mentee(),
        rating_problem(),
        base(rules=pm.Rules(required_pairs=(("A", "X"),), forbidden_pairs=(("B", "Z"),))),
    ):
        assert checks.violations(pm.solve(problem), problem) == []


def test_violation_names_the_pair_and_people():
    result, problem = BROKEN["forbidden"].build()
    (found,) = checks.violations(result, problem)
    assert found.people == ("A", "X")
    assert found.message.startswith("Asha (A) with Cdr Smith (X) breaks a hard rule: forbidden pair")


def test_tolerance_for_scores_read_back_from_a_file():
    # A 90-minute meeting makes availability 1/3 or 2/3, which six written decimals round.
    problem = base(
        meeting_minutes=90, mentees=tuple(e.model_copy(update={"availability": ("Mon 18:00-19:00",)}) for e in MENTEES)
    )
    data = pm.solve(problem).to_dict()
    from_file = pm.MatchResult(
        pairs=tuple(pm.Pair(**p) for p in data["pairs"]),
        unmatched=tuple(pm.Unmatched(**u) for u in data["unmatched"]),
        objective=data["objective"],
        status=data["status"],
        objective_name=data["objective_name"],
        solver=data["solver"],
        runtime_s=0.0,
        certificate=data["certificate"],
    )
    assert {v.kind for v in checks.violations(from_file, problem)} == {"score", "component"}
    assert checks.violations(from_file, problem, tolerance=1e-6) == []
    assert checks.is_feasible(from_file, problem, tolerance=1e-6)


def test_rules_that_hold_are_not_reported():
    """Near misses of each rule: a different attribute value, a missing attribute, a neighbouring BCU."""
    cases = [
        (
            mentor("A", "drugs", None, None, attributes={"command": "north"}),
            mentee("X", "drugs", None, None, attributes={"command": "south"}),
            pm.Rules(forbid_same=("command",)),
        ),
        (
            mentor("A", "drugs", None, None, attributes={"command": "north"}),
            mentee("X", "drugs", None, None),
            pm.Rules(forbid_same=("command",)),
        ),
        (
            mentor("A", "drugs", "Newham", None),
            mentee("X", "drugs", "Tower Hamlets", None),
            pm.Rules(forbid_same=("bcu", "borough"), max_borough_steps=1),
        ),
        (
            mentor("A", "drugs", None, "Mon 18:00-19:30"),
            mentee("X", "drugs", None, "Mon 18:00-20:00"),
            pm.Rules(min_overlap_minutes=90, require_focus_overlap=True, min_score=0.5),
        ),
    ]
    for m, e, rules in cases:
        result, problem = one_pair(m, e, rules)
        assert checks.violations(result, problem) == []


def zero_score_result(problem: pm.Problem, n_pairs: int) -> pm.MatchResult:
    """Mentor k with mentee k for the first ``n_pairs`` people of a problem where every pair scores 0."""
    zeros = {"focus": 0.0, "borough": 0.0, "availability": 0.0}
    people = zip(problem.mentors[:n_pairs], problem.mentees, strict=False)  # as many pairs as both allow
    pairs = tuple(pm.Pair(m.id, e.id, 0.0, zeros, zeros) for m, e in people)
    unmatched = (
        *(pm.Unmatched(m.id, "mentor", "not_chosen", "?") for m in problem.mentors[n_pairs:]),
        *(pm.Unmatched(e.id, "mentee", "not_chosen", "?") for e in problem.mentees[n_pairs:]),
    )
    return pm.MatchResult(
        pairs=pairs,
        unmatched=unmatched,
        objective=0.0,
        status="feasible",
        objective_name="max_score",
        solver="by hand",
        runtime_s=0.0,
        certificate={},
    )


def test_quota_share_is_exact():
    # 0.57 * 100 is 56.99999999999999 in floats, so a float bound would wrongly refuse 57 pairs of 100.
    mentors = [pm.Mentor(id=f"m{k}", attributes={"team": "east" if k < 57 or k == 100 else "west"}) for k in range(101)]
    problem = pm.Problem(
        mentors=mentors,
        mentees=[pm.Mentee(id=f"e{k}") for k in range(101)],
        rules=pm.Rules(quotas=(Quota(side="mentor", key="team", value="east", max_share=0.57),)),
    )
    assert checks.violations(zero_score_result(problem, 100), problem) == []
    mentors[99] = mentors[99].model_copy(update={"attributes": {"team": "east"}})
    problem = problem.model_copy(update={"mentors": tuple(mentors)})
    (found,) = checks.violations(zero_score_result(problem, 100), problem)
    assert found.kind == "quota"
    assert "58 pairs for team = 'east'" in found.message


# --- correct results pass ------------------------------------------------------------------------


@st.composite
def rule_problems(draw: st.DrawFn) -> pm.Problem:
    """`problems` with capacities, forbidden and pinned pairs, a minimum score, and sometimes the other hard rules."""
    problem = draw(
        problems(
            mentors=(1, 4),
            mentees=(1, 5),
            mentor_max=(0, 3),
            mentee_max=(1, 2),
            mentor_min=draw(st.sampled_from([(0, 0), (0, 1)])),
            forbidden=True,
            required=draw(st.booleans()),
            min_score=True,
        )
    )
    if draw(st.booleans()):
        return problem
    extra = {
        "require_focus_overlap": draw(st.booleans()),
        "min_overlap_minutes": draw(st.sampled_from([0, 0, 30, 90])),
        "max_borough_steps": draw(st.sampled_from([None, None, 1, 3])),
        "forbid_same": tuple(draw(st.lists(st.sampled_from(["borough", "bcu"]), max_size=2, unique=True))),
        "match_all_mentees": draw(st.sampled_from([False, False, False, True])),
    }
    return problem.model_copy(update={"rules": problem.rules.model_copy(update=extra)})


def solve_or_none(problem: pm.Problem, params: pm.SolveParams | None = None) -> pm.MatchResult | None:
    try:
        return pm.solve(problem, params)
    except pm.InfeasibleProblemError:
        return None


@RULE_PROPS
@given(rule_problems())
def test_dense_results_pass(problem):
    result = solve_or_none(problem, pm.SolveParams(method="dense"))
    if result is not None:
        assert checks.violations(result, problem) == []


@RULE_PROPS
@given(rule_problems())
def test_sparse_results_pass(problem):
    result = solve_or_none(problem, pm.SolveParams(method="sparse", candidates_per_person=2))
    if result is not None:
        assert checks.violations(result, problem) == []


def _rating(mentors: pm.PeopleTable, mentees: pm.PeopleTable) -> np.ndarray:
    """A score function: same last character of the ids, and a little of each mentor's position."""
    out = np.zeros((len(mentors), len(mentees)))
    for r, a in enumerate(mentors.ids):
        for c, b in enumerate(mentees.ids):
            out[r, c] = 0.5 * (a[-1] == b[-1]) + 0.1 * (int(mentors.index[r]) % 5)
    return out


def solve_custom(problem: pm.Problem, method: str) -> pm.MatchResult | None:
    return solve_or_none(problem, pm.SolveParams(method=method, candidates_per_person=2))


@st.composite
def custom_problems(draw: st.DrawFn) -> pm.Problem:
    problem = draw(problems(mentors=(1, 5), mentees=(1, 5), mentor_max=(1, 2), forbidden=True, min_score=True))
    form = draw(st.sampled_from(["matrix", "entries", "function"]))
    n, m = problem.shape
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    weight = draw(st.sampled_from([0.0, 0.3, 2.0]))
    if form == "matrix":
        custom = pm.CustomScore(name="rating", weight=weight, matrix=rng.uniform(0, 50, (n, m)))
    elif form == "entries":
        entries = [
            (a.id, b.id, float(rng.uniform(0, 3)))
            for a in problem.mentors
            for b in problem.mentees
            if rng.random() < 0.5
        ]
        custom = pm.CustomScore(name="rating", weight=weight, entries=entries, default=0.25)
    else:
        custom = pm.CustomScore(name="rating", weight=weight, function=_rating)
    return pm.Problem(
        mentors=problem.mentors,
        mentees=problem.mentees,
        weights=problem.weights,
        rules=problem.rules,
        meeting_minutes=problem.meeting_minutes,
        scores=(custom,),
    )


@PROPS
@given(custom_problems(), st.sampled_from(["dense", "sparse"]))
def test_results_with_custom_scores_pass(problem, method):
    result = solve_custom(problem, method)
    if result is not None:
        assert checks.violations(result, problem) == []
        if result.pairs:
            assert set(result.pairs[0].components) == set(problem.component_names)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**16), st.integers(1, 2))
def test_results_of_a_plain_matrix_pass(rows, cols, seed, capacity):
    scores = np.random.default_rng(seed).integers(0, 1000, (rows, cols)) * 1.5
    problem = pm.Problem.from_matrix(
        scores, [f"m{k}" for k in range(rows)], [f"e{k}" for k in range(cols)], mentor_capacity=capacity
    )
    result = pm.solve(problem)
    assert checks.violations(result, problem) == []


@settings(max_examples=15, deadline=None)
@given(
    problems(mentors=(2, 4), mentees=(2, 4), mentor_max=(1, 2)),
    st.sampled_from(["focus", "borough", "bcu"]),
    st.sampled_from([(1, None, None), (0, 1, None), (0, None, 0.5)]),
)
def test_results_with_quotas_pass(problem, key, bounds):
    low, high, share = bounds
    quota = Quota(side="mentee", key=key, min_pairs=low, max_pairs=high, max_share=share)
    problem = problem.model_copy(update={"rules": problem.rules.model_copy(update={"quotas": (quota,)})})
    result = solve_or_none(problem)
    if result is not None:
        assert checks.violations(result, problem) == []


def test_sparse_solve_with_a_score_function_and_no_pairs():
    # Scoring the chosen pairs of an empty matching used to index the first row of an empty block.
    problem = pm.Problem(
        mentors=[pm.Mentor(id="M0")],
        mentees=[pm.Mentee(id="E0")],
        weights=pm.Weights(focus=0, borough=0, availability=1),
        scores=(pm.CustomScore(name="rating", weight=1.0, function=_rating),),
        rules=pm.Rules(forbidden_pairs=(("M0", "E0"),)),
    )
    result = pm.solve(problem, pm.SolveParams(method="sparse"))
    assert result.pairs == ()
    assert checks.violations(result, problem) == []


# --- independence and scale ----------------------------------------------------------------------


def test_verifier_never_uses_the_solvers_scoring(monkeypatch):
    problem = base(
        rules=pm.Rules(
            required_pairs=(("A", "X"),),
            min_score=0.1,
            require_focus_overlap=True,
            min_overlap_minutes=30,
            max_borough_steps=2,
            forbid_same=("team",),
            quotas=(Quota(side="mentor", key="team", max_pairs=2),),
        ),
        scores=(pm.CustomScore(name="rating", weight=0.3, entries=[("A", "X", 0.5)]),),
    )
    result = pm.solve(problem)

    def refuse(*args, **kwargs):
        raise AssertionError("the verifier called the solver's scoring")

    monkeypatch.setattr(pm.scoring.Scorer, "__init__", refuse)
    monkeypatch.setattr(pm.constraints, "build_candidates", refuse)
    monkeypatch.setattr(pm.constraints.RuleChecker, "__init__", refuse)
    assert checks.violations(dataclasses.replace(result, context=None), problem) == []
    broken = dataclasses.replace(result, context=None, pairs=result.pairs[1:], objective=result.objective)
    assert {v.kind for v in checks.violations(broken, problem)} >= {"required_pair_missing", "objective"}


def test_verifier_memory_stays_linear_at_3000_a_side():
    problem = pm.synthetic_problem(3000, seed=1)
    result = pm.solve(problem)
    tracemalloc.start()
    try:
        found = checks.violations(result, problem)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == []
    assert peak < 3000 * 3000  # one byte per possible pair; a float matrix would take eight
