"""Re-matching: properties against brute force on tiny programmes, and known cases.

The brute force enumerates every matching of the changed programme that
keeps the locked pairs and avoids the ended ones, and maximises
score + move_penalty x (working pairs kept), with every working pair kept
when the penalty is infinite.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch.rematching import CONTINUITY, Changes, changed_problem, rematch

PENALTIES = [0.0, 0.05, 0.3, 1.0, math.inf]


def scored_problem(mentor_ids, mentee_ids, table):
    """A one-to-one programme scored by ``table[(mentor, mentee)]`` through a score function,
    so that people joining later have scores too."""

    def lookup(mentors, mentees):
        return np.array([[table[(m, e)] for e in mentees.ids] for m in mentors.ids], dtype=float).reshape(
            len(mentors), len(mentees)
        )

    return pm.Problem(
        mentors=[pm.Mentor(id=m) for m in mentor_ids],
        mentees=[pm.Mentee(id=e) for e in mentee_ids],
        weights=pm.Weights(focus=0, borough=0, availability=0),
        scores=[pm.CustomScore(name="s", function=lookup, max_value=1.0)],
    )


@st.composite
def programmes(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    mentors = [f"A{i}" for i in range(m)]
    mentees = [f"B{j}" for j in range(n)]
    join_mentors = [f"JA{i}" for i in range(draw(st.integers(0, 1)))]
    join_mentees = [f"JB{j}" for j in range(draw(st.integers(0, 1)))]
    table = {(a, b): draw(st.integers(0, 8)) / 8 for a in mentors + join_mentors for b in mentees + join_mentees}
    order = draw(st.permutations(mentees))
    current = list(zip(mentors, order, strict=False))[: draw(st.integers(0, min(m, n)))]
    people = mentors + mentees
    leave = [p for p in people if draw(st.integers(0, 5)) == 0]
    intact = [p for p in current if not set(p) & set(leave)]
    ended = [p for p in intact if draw(st.integers(0, 3)) == 0]
    locked = [p for p in intact if p not in ended and draw(st.integers(0, 3)) == 0]
    penalty = draw(st.sampled_from(PENALTIES))
    return (
        mentors,
        mentees,
        join_mentors,
        join_mentees,
        table,
        current,
        Changes(
            leave=leave,
            join=[pm.Mentor(id=a) for a in join_mentors] + [pm.Mentee(id=b) for b in join_mentees],
            ended=ended,
            locked=locked,
        ),
        penalty,
    )


def brute_force(mentors, mentees, table, working, ended, locked, penalty):
    """Best score + penalty x kept working pairs over every allowed matching (None: none allowed)."""
    best = None
    pins = set(locked) | (set(working) if math.isinf(penalty) else set())
    bonus = 0.0 if math.isinf(penalty) else penalty
    allowed = [(a, b) for a in mentors for b in mentees if (a, b) not in set(ended)]
    for k in range(min(len(mentors), len(mentees)) + 1):
        for pairs in itertools.combinations(allowed, k):
            if len({a for a, _ in pairs}) < k or len({b for _, b in pairs}) < k or not pins <= set(pairs):
                continue
            value = sum(table[p] for p in pairs) + bonus * len(set(pairs) & set(working))
            best = value if best is None else max(best, value)
    return best


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes())
def test_rematch_is_optimal_under_the_added_rules(case):
    mentors, mentees, join_m, join_e, table, current, changes, penalty = case
    problem = scored_problem(mentors, mentees, table)
    out = rematch(problem, current, changes, move_penalty=penalty)
    result = out.result
    got = {(p.mentor_id, p.mentee_id) for p in result.pairs}
    gone = set(changes.leave)
    new_mentors = [a for a in mentors if a not in gone] + join_m
    new_mentees = [b for b in mentees if b not in gone] + join_e
    working = [p for p in current if p not in changes.ended and not set(p) & gone and p not in changes.locked]
    assert set(out.working) == set(working)

    # Locked pairs are never touched; ended pairs never come back; leavers are gone.
    assert set(changes.locked) <= got
    assert not got & set(changes.ended)
    assert not {x for p in got for x in p} & gone
    assert pm.is_feasible(result, out.problem)

    # Optimal: score + penalty x kept working pairs, as the brute force finds it.
    best = brute_force(new_mentors, new_mentees, table, working, changes.ended, changes.locked, penalty)
    assert result.objective == pytest.approx(best, abs=1e-6)
    kept = len(got & set(working))
    bonus = 0.0 if math.isinf(penalty) else penalty
    assert out.score == pytest.approx(sum(table[p] for p in got), abs=1e-9)
    assert result.objective == pytest.approx(out.score + bonus * kept, abs=1e-9)

    if math.isinf(penalty):
        # Minimal disruption: every working pair stays, only the people affected move.
        assert set(working) <= got
        affected = gone | {x for p in changes.ended for x in p} | set(join_m) | set(join_e)
        affected |= (set(mentors) | set(mentees)) - {x for p in current for x in p}
        partners_of_leavers = {x for p in current if set(p) & gone for x in p}
        for pair in got - set(current):
            assert set(pair) & (affected | partners_of_leavers), pair
        assert out.moved == 0
    if penalty == 0:
        # Re-optimising everything is a fresh solve of the changed programme (locks pinned, ended forbidden).
        fresh = brute_force(new_mentors, new_mentees, table, [], changes.ended, changes.locked, 0.0)
        assert result.objective == pytest.approx(fresh, abs=1e-6)
    if out.baseline_score is not None and not math.isinf(penalty):
        # A working pair moves only when the total score gains at least the penalty per moved pair.
        assert out.gain >= penalty * out.moved - 1e-6

    # Every current pair and every new pair is accounted for, once.
    kinds = {(c.mentor_id, c.mentee_id): c.change for c in out.changes}
    assert len(out.changes) == len(set(current)) + len(got - set(current))
    for pair in current:
        expected = (
            ("locked" if pair in changes.locked else "kept")
            if pair in got
            else "ended"
            if pair in changes.ended
            else "left"
            if set(pair) & gone
            else "moved"
        )
        assert kinds[pair] == expected
    assert all(kinds[p] == "new" for p in got - set(current))
    assert out.moved == sum(1 for p in working if p not in got)


def pilot_now():
    problem = pm.pilot_problem()
    return problem, [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]


def test_rematch_rejects_what_it_cannot_do():
    problem, now = pilot_now()
    with pytest.raises(ValueError, match="is not a current pair"):
        rematch(problem, now, Changes(locked=[("M1", "O2")]))
    with pytest.raises(ValueError, match="both ended and locked"):
        rematch(problem, now, Changes(locked=[("M1", "O1")], ended=[("M1", "O1")]))
    with pytest.raises(ValueError, match="is leaving"):
        rematch(problem, now, Changes(locked=[("M1", "O1")], leave=["O1"]))
    with pytest.raises(ValueError, match="not in the programme"):
        rematch(problem, now, Changes(leave=["M9"]))
    with pytest.raises(ValueError, match="already in the programme"):
        rematch(problem, now, Changes(join=[pm.Mentor(id="M2")]))
    for bad in (-0.1, math.nan):
        with pytest.raises(ValueError, match="score per moved working pair"):
            rematch(problem, now, move_penalty=bad)
    with pytest.raises(ValueError, match=r"not a .mentor, mentee. pair"):
        rematch(problem, [("O1", "M1")])


def test_people_changes_carry_rules_and_custom_scores_forward():
    problem = pm.pilot_problem()
    problem = problem.model_copy(
        update={
            "rules": pm.Rules(forbidden_pairs=[("M3", "O1"), ("M1", "O2")], required_pairs=[("M3", "O3")]),
            "scores": (
                pm.CustomScore(name="survey", weight=0.1, default=0.5, entries=[("M3", "O3", 1.0), ("M1", "O1", 0.2)]),
            ),
        }
    )
    problem = pm.Problem(**{k: getattr(problem, k) for k in pm.Problem.model_fields})
    after = changed_problem(problem, Changes(leave=["M3"], ended=[("M1", "O1")]))
    assert after.rules.forbidden_pairs == (("M1", "O2"), ("M1", "O1"))
    assert after.rules.required_pairs == ()
    assert after.scores[0].entries == (("M1", "O1", 0.2),)
    matrix = pm.Problem.from_matrix([[0.9, 0.1], [0.4, 0.8]], ["a", "b"], ["x", "y"])
    assert changed_problem(matrix, Changes(leave=["a"])).scores[0].matrix.tolist() == [[0.4, 0.8]]
    with pytest.raises(ValueError, match="no values for the people joining"):
        changed_problem(matrix, Changes(join=[pm.Mentor(id="c")]))


def test_zero_penalty_equals_a_fresh_solve_and_the_base_carries_nothing_of_the_rematch():
    problem = pm.synthetic_problem(40, seed=21)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    extra = pm.synthetic_problem(42, seed=5)
    changes = Changes(
        leave=[now[0][0], now[1][1]],
        ended=[now[2]],
        locked=[now[3]],
        join=[extra.mentors[41].model_copy(update={"id": "NEW"})],
    )
    zero = rematch(problem, now, changes, move_penalty=0)
    base = zero.base_problem
    assert CONTINUITY not in [s.name for s in base.scores]
    assert now[3] not in base.rules.required_pairs
    assert now[2] in base.rules.forbidden_pairs
    pinned = base.model_copy(update={"rules": base.rules.model_copy(update={"required_pairs": (now[3],)})})
    assert zero.result.objective == pytest.approx(pm.solve(pinned).objective, abs=1e-9)
    assert zero.score == zero.result.objective
    inf = rematch(problem, now, changes)
    some = rematch(problem, now, changes, move_penalty=0.1)
    assert inf.score <= some.score <= zero.score + 1e-9
    assert inf.moved == 0 <= some.moved <= zero.moved
    assert some.baseline_score == pytest.approx(inf.score)
    assert some.gain >= 0.1 * some.moved
    # The continuity bonus is a component of the solved problem, shown in explanations beside
    # the pair's own score, never inside it.
    kept = next(c for c in some.changes if c.change == "kept")
    explanation = pm.explain_pair(some.result, kept.mentor_id, kept.mentee_id)
    assert CONTINUITY not in explanation.components
    assert explanation.bonus == pytest.approx(0.1)
    assert explanation.score == pytest.approx(kept.score)
    # Re-matching again from the base problem starts clean.
    again = rematch(base, [(p.mentor_id, p.mentee_id) for p in some.result.pairs], move_penalty=0.1)
    assert again.moved == 0
    assert again.count("new") == 0


def test_summary_and_plain_data_name_every_change():
    problem, now = pilot_now()
    out = rematch(problem, now, Changes(ended=[("M1", "O1")], locked=[("M3", "O3")]), move_penalty=0)
    data = out.to_dict()
    assert data["counts"] == {
        "kept": 1,
        "locked": 1,
        "ended": 1,
        "declined": 0,
        "expired": 0,
        "left": 0,
        "moved": 0,
        "new": 0,
    }
    assert data["move_penalty"] == 0
    text = out.summary()
    assert "ended   M1 - O1: ended by the coordinator" in text
    assert "locked  M3 - O3: locked by the coordinator" in text
    assert rematch(problem, now).to_dict()["move_penalty"] is None


def test_an_ended_pair_whose_person_leaves_is_simply_gone():
    problem = pm.synthetic_problem(4, 4, seed=3)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    mentor, mentee = now[0]
    result = rematch(problem, now, Changes(leave=[mentor], ended=[(mentor, mentee)]))
    assert mentor not in {p.mentor_id for p in result.result.pairs}
    assert pm.is_feasible(result.result, result.problem)


def test_a_move_penalty_no_move_can_pay_for_equals_inf_without_spending_the_scaling():
    # A penalty of 1e7 per moved pair once took the integer resolution away from the real
    # scores (rounding bound 300 on a 30-person problem) and returned a worse matching.
    problem = pm.synthetic_problem(30, 30, seed=5)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    leave = [now[k][0] for k in range(5)]
    joining = [m.model_copy(update={"id": f"new{k}"}) for k, m in enumerate(pm.synthetic_problem(5, 1, seed=9).mentors)]
    changes = Changes(leave=leave, join=joining)
    pinned = rematch(problem, now, changes)
    for penalty in (2 * 1.0, 1e7):
        huge = rematch(problem, now, changes, move_penalty=penalty)
        assert huge.score == pytest.approx(pinned.score, abs=1e-9)
        assert huge.moved == 0
        assert huge.result.certificate["rounding_bound"] == pinned.result.certificate["rounding_bound"]


def test_a_callers_component_may_not_take_a_name_pairmatch_gives_its_own():
    for name in pm.custom_scores.RESERVED_COMPONENTS:
        with pytest.raises(ValueError, match="pairmatch adds itself"):
            pm.CustomScore(name=name, entries=[("M1", "O1", 1.0)])
    assert CONTINUITY in pm.custom_scores.RESERVED_COMPONENTS


def test_someone_who_left_and_rejoins_is_not_paired_with_their_former_partner_again():
    problem = pm.pilot_problem()
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    gone = rematch(problem, now, Changes(leave=["M1"]))
    assert ("M1", "O1") in gone.earlier
    assert "O1" in {u.person_id for u in gone.result.unmatched}
    back = gone.then(Changes(join=[problem.mentors[0]]))
    assert ("M1", "O1") not in back.pairs
    assert ("M1", "O1") in back.problem.rules.forbidden_pairs
    assert back.excluded_earlier == 1
    assert "1 earlier pairing(s) excluded" in back.summary()
    assert "still unmatched" in back.summary()
    # Allowed again on request, and then named as a re-formed earlier pair, never "had no partner" alone.
    allowed = gone.then(Changes(join=[problem.mentors[0]]), repeat_earlier=True)
    (change,) = [c for c in allowed.changes if c.change == "new"]
    assert (change.mentor_id, change.mentee_id) == ("M1", "O1")
    assert change.reason.startswith("re-forms an earlier pair of M1 and O1")
    assert allowed.excluded_earlier == 0


def test_the_summary_lists_who_is_still_unmatched_and_why():
    problem = pm.synthetic_problem(6, 9, seed=3)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    outcome = rematch(problem, now, Changes(leave=[now[0][0]]))
    text = outcome.summary()
    unmatched = outcome.result.unmatched
    assert f"{len(unmatched)} still unmatched:" in text
    for u in unmatched:
        assert f"  {u.side} {u.person_id}: {u.reason}" in text
    assert outcome.to_dict()["unmatched"] == [dict(u.__dict__) for u in unmatched]


def test_a_declined_proposal_frees_both_and_is_not_proposed_again():
    problem = pm.synthetic_problem(5, 7, seed=8)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    outcome = rematch(problem, now, Changes(declined=[now[0]], expired=[now[1]]))
    kinds = {(c.mentor_id, c.mentee_id): c.change for c in outcome.changes}
    assert kinds[now[0]] == "declined"
    assert kinds[now[1]] == "expired"
    assert not {now[0], now[1]} & set(outcome.pairs)
    assert {now[0], now[1]} <= set(outcome.base_problem.rules.forbidden_pairs)
    stray = next((m.id, e.id) for m in problem.mentors for e in problem.mentees if (m.id, e.id) not in now)
    with pytest.raises(ValueError, match="not a current pair"):
        rematch(problem, now, Changes(declined=[stray]))


# --- one score per pair ----------------------------------------------------------------------------


def blocking_by_definition(problem, pairs, scores, allowed):
    """Blocking pairs from the definition: an allowed pair, not matched, where each side has a
    free place or prefers the other (higher score, ties: lower index) to its worst partner."""
    m, n = problem.shape
    mentor_of, mentee_of = {}, {}
    for i, j in pairs:
        mentor_of.setdefault(i, []).append(j)
        mentee_of.setdefault(j, []).append(i)

    def rank(score, index):
        return (-score, index)

    found = set()
    for i in range(m):
        for j in range(n):
            if (i, j) in pairs or not allowed[i, j]:
                continue
            mine, theirs = mentor_of.get(i, []), mentee_of.get(j, [])
            mentor_wants = len(mine) < problem.mentors[i].max_partners or any(
                rank(scores[i, j], j) < rank(scores[i, k], k) for k in mine
            )
            mentee_wants = len(theirs) < problem.mentees[j].max_partners or any(
                rank(scores[i, j], i) < rank(scores[k, j], k) for k in theirs
            )
            if mentor_wants and mentee_wants:
                found.add((i, j))
    return found


@pytest.mark.parametrize("seed", range(3))
def test_every_output_of_a_rematch_quotes_the_pairs_own_score_with_the_bonus_beside_it(seed):
    from pairmatch.diffs import Snapshot
    from pairmatch.explanations import alternatives, explain_pair
    from pairmatch.stability import blocking_pairs

    problem = pm.synthetic_problem(24, 20, seed=seed)
    first = pm.solve(problem)
    current = [(p.mentor_id, p.mentee_id) for p in first.pairs]
    out = rematch(problem, current, Changes(leave=[current[0][0]], ended=[current[1]]), move_penalty=0.05)
    result = out.result
    assert any(p.bonus > 0 for p in result.pairs)
    # The pairs' own scores: the changed programme scored afresh, without anything of the re-match.
    own = pm.score(out.base_problem).total
    mi, ei = out.problem.mentor_index(), out.problem.mentee_index()
    for p in result.pairs:
        assert p.base_score == pytest.approx(own[mi[p.mentor_id], ei[p.mentee_id]])
        assert p.score == pytest.approx(p.base_score + p.bonus)
        explained = explain_pair(result, p.mentor_id, p.mentee_id)
        assert (explained.score, explained.bonus) == (pytest.approx(p.base_score), pytest.approx(p.bonus))
        for a in alternatives(result, p.mentor_id, 3):
            assert a.score == pytest.approx(own[mi[p.mentor_id], ei[a.partner_id]])
    assert [s for _, _, s in Snapshot.of(result).pairs] == pytest.approx([p.base_score for p in result.pairs])
    rows = result.summary().splitlines()
    assert f"(score {out.score:.4f} + continuity bonus {result.objective - out.score:.4f})" in rows
    assert rows[3].split()[-1] == "bonus"  # the bonus is its own column
    assert "<th>continuity bonus</th>" in result._repr_html_().replace("<th >", "<th>")
    # Stability: preferences and quoted scores are the pairs' own, never the coordinator's bonus.
    blocking = blocking_pairs(result)
    for b in blocking:
        assert b.score == pytest.approx(own[mi[b.mentor_id], ei[b.mentee_id]])
    allowed = result.context.candidates.blocked_rows(np.arange(len(out.problem.mentors))) == 0
    pairs = {(mi[p.mentor_id], ei[p.mentee_id]) for p in result.pairs}
    assert {(mi[b.mentor_id], ei[b.mentee_id]) for b in blocking} == blocking_by_definition(
        out.problem, pairs, own, allowed
    )
