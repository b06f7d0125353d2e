"""History-aware matching: no repeated pairs across cohorts, continuity and feedback as explained components."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")


import pairmatch as pm
from pairmatch.store import (
    CONTINUITY_COMPONENT,
    FEEDBACK_COMPONENT,
    HistoryOptions,
    PastPairing,
    ProgrammeStore,
    feedback_value,
    with_history,
)

from support.store import change, read


def pairs(result):
    return {(p.mentor_id, p.mentee_id) for p in result.pairs}


@pytest.fixture
def store(store_location):
    with ProgrammeStore.init(store_location) as s:
        yield s


def test_next_cohort_repeats_no_pair_unless_allowed(store):
    problem = pm.synthetic_problem(25, seed=13)
    _, first = store.match("2026", problem)
    # The same people again: the unconstrained optimum is exactly this year's pairs.
    assert pairs(pm.solve(problem)) == pairs(first)
    run, second = store.match("2027", problem)
    assert not pairs(second) & pairs(first)
    assert set(run.request.rules.forbidden_pairs) == pairs(first)
    assert pm.is_feasible(second, run.problem())
    _, third = store.match("2027-repeats", problem, history=HistoryOptions(forbid_repeats=False))
    assert pairs(third) == pairs(first)
    # Everyone's history spans the cohorts.
    person = problem.mentors[0].id
    assert [r.cohort for r in read(store, "history", person=person)] == ["2026", "2027", "2027-repeats"]


def test_rematch_never_brings_back_an_ended_pair_or_an_earlier_cohort_pair(store):
    problem = pm.synthetic_problem(12, seed=14)
    first, _ = store.match("2026", problem)
    run, _result = store.match("2027", problem)
    ended = run.pairs[0]
    change(store, "end_pair", *ended, "not working")
    _re_run, out = store.rematch("2027", move_penalty=0)
    got = pairs(out.result)
    assert ended not in got
    assert not got & set(first.pairs)
    assert {c.change for c in out.changes if (c.mentor_id, c.mentee_id) == ended} == {"ended"}
    assert pairs_of_store(store, "2027") == got


def pairs_of_store(store, cohort):
    return {(r.mentor_id, r.mentee_id) for r in read(store, "active_pairs", cohort)}


def test_continuity_and_feedback_are_explained_components(store):
    problem = pm.synthetic_problem(10, seed=15)
    first, _ = store.match("2026", problem)
    (m1, e1), (m2, e2) = first.pairs[:2]
    change(store, "record_feedback", m1, e1, 5)
    change(store, "record_feedback", m2, e2, 1)
    change(store, "record_feedback", m2, e2, 2)
    options = HistoryOptions(forbid_repeats=False, continuity_weight=0.4, feedback_weight=0.3)
    run, result = store.match("2027", problem, history=options)
    assert result.context.problem.component_names[-2:] == (CONTINUITY_COMPONENT, FEEDBACK_COMPONENT)
    good = pm.explain_pair(result, m1, e1)
    assert good.components[CONTINUITY_COMPONENT] == 1.0
    assert good.components[FEEDBACK_COMPONENT] == 1.0
    assert good.contributions[FEEDBACK_COMPONENT] == pytest.approx(0.3)
    assert "partner in an earlier pairing" in good.facts[CONTINUITY_COMPONENT]
    assert "feedback rating" in good.facts[FEEDBACK_COMPONENT]
    poor = pm.explain_pair(result, m2, e2)
    assert poor.components[FEEDBACK_COMPONENT] == pytest.approx(feedback_value([1, 2])) == 0.125
    stranger = next(e.id for e in problem.mentees if e.id != e1 and (m1, e.id) not in first.pairs)
    unknown = pm.explain_pair(result, m1, stranger)
    assert unknown.components[CONTINUITY_COMPONENT] == 0.0
    assert unknown.components[FEEDBACK_COMPONENT] == 0.5
    # The stored run replays with the same components.
    again = read(store, "run", run.id).solve_again()
    assert pm.explain_pair(again, m1, e1).components == good.components
    # The options are kept with the run and re-used by the next re-match.
    assert read(store, "run", run.id).settings["history"] == options.model_dump()


def test_history_options_and_values():
    with pytest.raises(ValueError, match="needs repeats allowed"):
        HistoryOptions(continuity_weight=0.1)
    with pytest.raises(ValueError, match="outside 1-5"):
        feedback_value([6])
    problem = pm.pilot_problem()
    assert with_history(problem, []) is problem
    past = [PastPairing("M1", "O1", "2025"), PastPairing("M9", "O1", "2025"), PastPairing("M2", "O2", "2025")]
    out = with_history(problem, past, keep=[("M2", "O2")])
    assert out.rules.forbidden_pairs == (("M1", "O1"),)
    required = problem.model_copy(update={"rules": pm.Rules(required_pairs=[("M1", "O1")])})
    with pytest.raises(ValueError, match="required pair but was paired before"):
        with_history(required, past)
