"""Diffs of two matchings and their reports: pairs, partners, objective, coverage, escaping."""

from __future__ import annotations

import re

import pytest

import pairmatch as pm
from pairmatch.diffs import Snapshot, coverage, diff


def pilot_pair():
    problem = pm.pilot_problem()
    other = problem.model_copy(update={"rules": pm.Rules(forbidden_pairs=[("M1", "O1"), ("M2", "O2")])})
    return pm.solve(problem), pm.solve(other)


def test_pairs_partners_and_objective():
    before, after = pilot_pair()
    d = diff(before, after)
    pairs_a = {(p.mentor_id, p.mentee_id) for p in before.pairs}
    pairs_b = {(p.mentor_id, p.mentee_id) for p in after.pairs}
    assert {(m, e) for m, e, _ in d.added} == pairs_b - pairs_a
    assert {(m, e) for m, e, _ in d.removed} == pairs_a - pairs_b
    assert d.kept == len(pairs_a & pairs_b)
    assert d.objective_change == pytest.approx(after.objective - before.objective)
    changed = {c.person_id: (c.before, c.after) for c in d.changed}
    touched = {x for p in (pairs_a ^ pairs_b) for x in p}
    assert set(changed) == touched
    for pid, (was, now) in changed.items():
        assert was == tuple(sorted(before.partners_of(pid)))
        assert now == tuple(sorted(after.partners_of(pid)))
        assert was != now
    assert [c.side for c in d.changed] == sorted((c.side for c in d.changed), reverse=True)  # mentors first
    assert not d.identical
    assert diff(before, before).identical


def test_people_who_left_or_joined():
    problem = pm.synthetic_problem(10, seed=3)
    result = pm.solve(problem)
    smaller = problem.model_copy(update={"mentors": problem.mentors[1:]})
    d = diff(result, pm.solve(smaller))
    gone = problem.mentors[0].id
    change = next(c for c in d.changed if c.person_id == gone)
    assert change.after == ()
    assert change.before == result.partners_of(gone)


def test_coverage_counts_people_and_matched_people():
    before, after = pilot_pair()
    problem = before.context.problem
    matched = {x for p in before.pairs for x in (p.mentor_id, p.mentee_id)}
    everyone = (*problem.mentors, *problem.mentees)
    unit_of = problem.geography.unit_of
    for key, groups in (
        ("borough", lambda p: set(p.boroughs)),
        ("focus", lambda p: set(p.focus_areas)),
        ("bcu", lambda p: {unit_of.get(b, "(no unit)") for b in p.boroughs}),
    ):
        expected: dict = {}
        for person in everyone:
            for g in groups(person):
                people, hit = expected.get(g, (0, 0))
                expected[g] = (people + 1, hit + (person.id in matched))
        assert coverage(problem, matched, key) == expected
    d = diff(before, after)
    rows = {r.group: r for r in d.coverage["borough"]}
    assert rows["Brent"].people_before == rows["Brent"].people_after == 2
    assert all(r.change == r.matched_after - r.matched_before for r in d.coverage["focus"])
    with pytest.raises(ValueError, match="coverage key"):
        coverage(problem, matched, "rank")


def test_snapshot_scores_leave_out_the_continuity_bonus():
    from pairmatch.rematching import rematch

    problem = pm.synthetic_problem(12, seed=9)
    now = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    out = rematch(problem, now, move_penalty=0.5)
    snap = Snapshot.of(out.result, "after")
    assert snap.objective == pytest.approx(out.score)
    assert out.result.objective > snap.objective


def test_reports_escape_everything_and_are_self_contained():
    pytest.importorskip("sqlalchemy")
    from pairmatch.rematching import Changes, rematch
    from pairmatch.store.reports import changes_bytes

    nasty = '<img src=x onerror="alert(1)">'
    problem = pm.Problem(
        mentors=[pm.Mentor(id=f"{nasty}{k}", boroughs=["Brent"], focus_areas=["knife crime"]) for k in range(3)],
        mentees=[pm.Mentee(id=f"O|{k}*", boroughs=["Brent"], focus_areas=["knife crime"]) for k in range(3)],
    )
    result = pm.solve(problem)
    now = [(p.mentor_id, p.mentee_id) for p in result.pairs]
    out = rematch(problem, now, Changes(ended=[now[0]]), move_penalty=0)
    d = diff(result, out.result)
    page = changes_bytes(d, "html", out, title=nasty).decode()
    assert nasty not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<script" not in page
    assert "http" not in page.replace("http-equiv", "")
    assert "What changed and why" in page
    assert "Coverage by BCU" in page
    md = changes_bytes(d, "md", out).decode()
    assert not re.search(r"(?<!\\)<", md)
    assert "\\<img" in md
    assert "O\\|0\\*" in md
    with pytest.raises(ValueError, match="unknown report format"):
        changes_bytes(d, "pdf")
