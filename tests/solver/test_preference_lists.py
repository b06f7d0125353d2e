"""Stable matching from the people's own ranked lists, against the `matching` library.

`matching` solves the stable marriage, hospital-resident and student-allocation games from
strict lists; on random instances (one-to-one, capacitated, with supervisor capacities) the
stable objective fed by rankings must return exactly its matching for either proposing side
and report no blocking pair. Lists with ties are checked against weak stability written out
here, and the library's published student-allocation example (100 Cardiff students) is
solved end to end.
"""

from __future__ import annotations

import csv
import itertools
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch.models import Quota
from pairmatch.preferences import rank_positions

DATA = Path(__file__).resolve().parents[1] / "data" / "cardiff-student-allocation"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _library():
    pytest.importorskip("matching")
    from matching.games import HospitalResident, StudentAllocation

    return HospitalResident, StudentAllocation


def stable(problem: pm.Problem, proposer: str) -> pm.MatchResult:
    result = pm.solve(problem, pm.SolveParams(objective="stable", proposer=proposer))
    assert pm.violations(result, problem) == []
    assert result.certificate["blocking_pairs"] == 0
    assert result.status == "optimal"
    return result


def pairs_of(result: pm.MatchResult) -> list[tuple[str, str]]:
    return sorted((p.mentor_id, p.mentee_id) for p in result.pairs)


# --- random strict instances ------------------------------------------------------------------


@st.composite
def strict_lists(draw, max_side: int = 7, max_cap: int = 1):
    """Mentors (hospitals, capacities up to ``max_cap``) and mentees (residents) ranking
    random subsets of each other, strictly."""
    m, n = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    mentors, mentees = [f"H{i}" for i in range(m)], [f"R{j}" for j in range(n)]
    # Lists are incomplete (even empty), but each side has one: a side without any rankings
    # would rank by scores instead.
    mentor_lists = {h: draw(st.permutations(mentees))[: draw(st.integers(k == 0, n))] for k, h in enumerate(mentors)}
    mentee_lists = {r: draw(st.permutations(mentors))[: draw(st.integers(k == 0, m))] for k, r in enumerate(mentees)}
    caps = {h: draw(st.integers(1, max_cap)) for h in mentors}
    return mentor_lists, mentee_lists, caps


def mutual(mentor_lists, mentee_lists):
    """The lists restricted to the pairs both sides rank (what the library expects)."""
    hospitals = {h: [r for r in rs if h in mentee_lists[r]] for h, rs in mentor_lists.items()}
    residents = {r: [h for h in hs if r in mentor_lists[h]] for r, hs in mentee_lists.items()}
    return hospitals, residents


def library_hr(mentor_lists, mentee_lists, caps, optimal: str) -> list[tuple[str, str]]:
    hospital_resident, _ = _library()
    hospitals, residents = mutual(mentor_lists, mentee_lists)
    residents = {r: hs for r, hs in residents.items() if hs}
    hospitals = {h: rs for h, rs in hospitals.items() if rs}
    if not residents:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = hospital_resident.create_from_dictionaries(residents, hospitals, {h: caps[h] for h in hospitals})
        matching = game.solve(optimal=optimal)
        assert game.check_stability()
    return sorted((h.name, r.name) for h, rs in matching.items() for r in rs)


@SETTINGS
@given(strict_lists(max_cap=1), st.sampled_from(["mentor", "mentee"]))
def test_one_to_one_equals_the_library(lists, proposer):
    mentor_lists, mentee_lists, caps = lists
    problem = pm.Problem.from_preferences(mentor_lists, mentee_lists)
    optimal = "hospital" if proposer == "mentor" else "resident"
    assert pairs_of(stable(problem, proposer)) == library_hr(mentor_lists, mentee_lists, caps, optimal)


@SETTINGS
@given(strict_lists(max_cap=3), st.sampled_from(["mentor", "mentee"]))
def test_capacitated_equals_the_library(lists, proposer):
    mentor_lists, mentee_lists, caps = lists
    problem = pm.Problem.from_preferences(mentor_lists, mentee_lists, mentor_capacity=caps)
    optimal = "hospital" if proposer == "mentor" else "resident"
    assert pairs_of(stable(problem, proposer)) == library_hr(mentor_lists, mentee_lists, caps, optimal)


@st.composite
def allocations(draw, max_students: int = 8, max_projects: int = 6, max_supervisors: int = 3):
    """A student-allocation game: students rank projects, each supervisor ranks every student
    who ranked one of their projects, and caps their projects' students in all."""
    n_students = draw(st.integers(1, max_students))
    n_projects = draw(st.integers(1, max_projects))
    supervisor_of = [draw(st.integers(0, max_supervisors - 1)) for _ in range(n_projects)]
    project_cap = [draw(st.integers(1, 3)) for _ in range(n_projects)]
    projects = [f"P{p}" for p in range(n_projects)]
    students = [f"S{s}" for s in range(n_students)]
    student_lists = {s: draw(st.permutations(projects))[: draw(st.integers(1, n_projects))] for s in students}
    order = draw(st.permutations(students))
    supervisors = sorted(set(supervisor_of))
    own = {g: [p for p, k in zip(projects, supervisor_of, strict=True) if k == g] for g in supervisors}
    supervisor_lists = {g: [s for s in order if set(student_lists[s]) & set(own[g])] for g in supervisors}
    supervisor_cap = {}
    for g in supervisors:
        caps = [c for c, k in zip(project_cap, supervisor_of, strict=True) if k == g]
        supervisor_cap[g] = draw(st.integers(max(caps), sum(caps)))
    return student_lists, supervisor_lists, supervisor_of, project_cap, supervisor_cap


def allocation_problem(student_lists, supervisor_lists, supervisor_of, project_cap, supervisor_cap) -> pm.Problem:
    """Projects are mentors (each ranks as its supervisor does), students mentees; a quota per
    supervisor caps its projects' students."""
    projects = [f"P{p}" for p in range(len(supervisor_of))]
    return pm.Problem.from_preferences(
        {p: supervisor_lists[g] for p, g in zip(projects, supervisor_of, strict=True)},
        student_lists,
        mentor_capacity=dict(zip(projects, project_cap, strict=True)),
        mentor_attributes={p: {"supervisor": f"U{g}"} for p, g in zip(projects, supervisor_of, strict=True)},
        rules=pm.Rules(
            quotas=tuple(
                Quota(side="mentor", key="supervisor", value=f"U{g}", max_pairs=c) for g, c in supervisor_cap.items()
            )
        ),
    )


def library_sa(student_lists, supervisor_lists, supervisor_of, project_cap, supervisor_cap, optimal):
    _, student_allocation = _library()
    ranked = {p for ps in student_lists.values() for p in ps}
    projects = {f"P{p}": f"U{g}" for p, g in enumerate(supervisor_of) if f"P{p}" in ranked}
    used = set(projects.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = student_allocation.create_from_dictionaries(
            student_lists,
            {f"U{g}": ss for g, ss in supervisor_lists.items() if f"U{g}" in used},
            projects,
            {p: project_cap[int(p[1:])] for p in projects},
            {f"U{g}": c for g, c in supervisor_cap.items() if f"U{g}" in used},
        )
        matching = game.solve(optimal=optimal)
        assert game.check_stability()
    return sorted((p.name, s.name) for p, ss in matching.items() for s in ss)


@SETTINGS
@given(allocations(), st.sampled_from(["mentor", "mentee"]))
def test_student_allocation_equals_the_library(game, proposer):
    problem = allocation_problem(*game)
    optimal = "supervisor" if proposer == "mentor" else "student"
    result = stable(problem, proposer)
    assert pairs_of(result) == library_sa(*game, optimal)
    assert result.certificate["capacity_groups"] == len(set(game[2]))


# --- ties: weak stability ---------------------------------------------------------------------


@st.composite
def tied_lists(draw, max_side: int = 5):
    m, n = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    mentors, mentees = [f"M{i}" for i in range(m)], [f"E{j}" for j in range(n)]

    def ranking(others, first):
        chosen = draw(st.permutations(others))[: draw(st.integers(first, len(others)))]
        groups: list[list[str]] = []
        for pid in chosen:
            if groups and draw(st.booleans()):
                groups[-1].append(pid)
            else:
                groups.append([pid])
        return groups

    return (
        {pid: ranking(mentees, k == 0) for k, pid in enumerate(mentors)},
        {pid: ranking(mentors, k == 0) for k, pid in enumerate(mentees)},
        {pid: draw(st.integers(1, 2)) for pid in mentors},
    )


def weakly_blocking(problem: pm.Problem, result: pm.MatchResult) -> set[tuple[str, str]]:
    """Pairs ranked by both, not matched, where each strictly prefers the other to a current
    partner or has a free place (written out from the definition)."""
    rank = {p.id: rank_positions(p.ranking) for p in (*problem.mentors, *problem.mentees)}
    partners = {p.id: result.partners_of(p.id) for p in (*problem.mentors, *problem.mentees)}
    cap = {p.id: p.max_partners for p in (*problem.mentors, *problem.mentees)}

    def wants(a: str, b: str) -> bool:
        if b not in rank[a]:
            return False
        if len(partners[a]) < cap[a]:
            return True
        return any(rank[a][b] < rank[a].get(c, float("inf")) for c in partners[a])

    return {
        (m.id, e.id)
        for m, e in itertools.product(problem.mentors, problem.mentees)
        if e.id not in partners[m.id] and wants(m.id, e.id) and wants(e.id, m.id)
    }


@SETTINGS
@given(tied_lists(), st.sampled_from(["mentor", "mentee"]))
def test_ties_give_a_weakly_stable_matching(lists, proposer):
    mentor_lists, mentee_lists, caps = lists
    problem = pm.Problem.from_preferences(mentor_lists, mentee_lists, mentor_capacity=caps)
    result = stable(problem, proposer)
    assert weakly_blocking(problem, result) == set()
    for pair in result.pairs:  # only pairs both ranked
        assert pair.mentee_id in {x for g in dict(mentor_lists)[pair.mentor_id] for x in g}
        assert pair.mentor_id in {x for g in dict(mentee_lists)[pair.mentee_id] for x in g}
    assert result.certificate["ties"] == any(
        len(g) > 1 for r in (*mentor_lists.values(), *mentee_lists.values()) for g in r
    )
    assert pm.blocking_pairs(result) == []


@SETTINGS
@given(tied_lists())
def test_blocking_pairs_of_any_result_follow_the_lists(lists):
    mentor_lists, mentee_lists, caps = lists
    problem = pm.Problem.from_preferences(mentor_lists, mentee_lists, mentor_capacity=caps)
    best = pm.solve(problem)  # max_score on the rank scores: not stable in general
    found = {(b.mentor_id, b.mentee_id) for b in pm.blocking_pairs(best)}
    assert found == weakly_blocking(problem, best)


# --- mixed: one side ranks, the other by scores ---------------------------------------------


def test_mentees_ranking_three_mentors_and_mentors_by_score():
    knife, vawg = "knife crime", "violence against women and girls"
    mentors = [
        pm.Mentor(id="M1", focus_areas=[knife], boroughs=["Newham"]),
        pm.Mentor(id="M2", focus_areas=[vawg], boroughs=["Brent"]),
        pm.Mentor(id="M3", focus_areas=[vawg], boroughs=["Hackney"]),
    ]
    mentees = [
        pm.Mentee(id="O1", focus_areas=[vawg], boroughs=["Brent"], ranking="M1 > M2 > M3"),
        pm.Mentee(id="O2", focus_areas=[knife], boroughs=["Newham"], ranking="M1 > M3 > M2"),
        pm.Mentee(id="O3", focus_areas=[vawg], boroughs=["Hackney"], ranking="M3 > M2"),
    ]
    problem = pm.Problem(mentors=mentors, mentees=mentees)
    result = stable(problem, "mentee")
    assert result.certificate["preferences"] == {"mentor": "scores", "mentee": "rankings"}
    # M1 prefers O2 (same topic and borough) to O1, so O1 falls back to M2; O3 gets its first choice.
    assert pairs_of(result) == [("M1", "O2"), ("M2", "O1"), ("M3", "O3")]
    by_scores = pm.solve(problem, pm.SolveParams(objective="stable", stable_preferences="scores"))
    assert by_scores.certificate["preferences"] == {"mentor": "scores", "mentee": "scores"}


def test_unranked_partners_are_unacceptable_and_say_so():
    problem = pm.Problem.from_preferences({"H1": ["R1"], "H2": ["R1", "R2"]}, {"R1": ["H2"], "R2": []})
    result = stable(problem, "mentor")
    assert pairs_of(result) == [("H2", "R1")]
    assert {u.person_id for u in result.unmatched} == {"H1", "R2"}


def test_from_preferences_builds_rank_score_components():
    problem = pm.Problem.from_preferences({"H1": "R1 > R2"}, {"R1": ["H1"], "R2": ["H1"]}, mentor_capacity=2)
    assert problem.component_names == ("mentor_rank", "mentee_rank")
    assert [p.max_partners for p in problem.mentors] == [2]
    with pytest.raises(ValueError, match="no one ranked anyone"):
        pm.Problem.from_preferences({"H1": []}, {"R1": []})


# --- the published example: 100 Cardiff students ----------------------------------------------


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cardiff_game():
    """The tutorial's cleaning of the raw files, step by step: students without choices and
    repeated choices dropped, supervisors ranking by the cohort's rank, projects nobody
    ranked dropped, project capacities cut to their supervisor's, supervisor capacities cut
    to their projects' total."""
    students = read_rows("students.csv")
    projects = {row["code"]: (row["supervisor"], int(row["capacity"])) for row in read_rows("projects.csv")}
    supervisors = {row["name"]: int(row["capacity"]) for row in read_rows("supervisors.csv")}
    student_lists = {}
    for row in students:
        ranked = [row[str(k)] for k in range(25) if row[str(k)] in projects]
        if ranked:
            student_lists[row["name"]] = list(dict.fromkeys(ranked))
    ranked_projects = {p for ps in student_lists.values() for p in ps}
    projects = {p: v for p, v in projects.items() if p in ranked_projects}
    by_rank = [row["name"] for row in sorted(students, key=lambda r: int(r["rank"])) if row["name"] in student_lists]
    supervisor_lists = {
        g: [s for s in by_rank if any(projects.get(p, ("",))[0] == g for p in student_lists[s])] for g in supervisors
    }
    project_cap = {p: min(c, supervisors[g]) for p, (g, c) in projects.items()}
    supervisor_cap = {
        g: min(c, sum(project_cap[p] for p, (h, _) in projects.items() if h == g))
        for g, c in supervisors.items()
        if supervisor_lists[g]
    }
    return student_lists, supervisor_lists, {p: g for p, (g, _) in projects.items()}, project_cap, supervisor_cap


def test_cardiff_student_allocation_example():
    student_lists, supervisor_lists, supervisor_of, project_cap, supervisor_cap = cardiff_game()
    assert len(student_lists) == 97
    problem = pm.Problem.from_preferences(
        {p: supervisor_lists[g] for p, g in supervisor_of.items()},
        student_lists,
        mentor_capacity=project_cap,
        mentor_attributes={p: {"supervisor": g} for p, g in supervisor_of.items()},
        rules=pm.Rules(
            quotas=tuple(
                Quota(side="mentor", key="supervisor", value=g, max_pairs=c) for g, c in supervisor_cap.items()
            )
        ),
    )
    result = stable(problem, "mentee")  # students propose: the student-optimal allocation
    assert result.certificate["algorithm"] == "student-optimal allocation"
    allocation: dict[str, list[str]] = {}
    for pair in result.pairs:
        allocation.setdefault(pair.mentor_id, []).append(pair.mentee_id)
    # Allocations printed in the library's tutorial.
    assert sorted(allocation["A1"]) == ["190019", "190034"]
    assert sorted(allocation["G2"]) == ["190000", "190045", "190077"]
    assert sorted(allocation["J1"]) == ["190014", "190061", "190089", "190097"]
    assert sorted(allocation["C0"]) == ["190003", "190068"]
    assert "A0" not in allocation
    # The tutorial's unassigned students who made choices.
    unassigned = {u.person_id for u in result.unmatched if u.side == "mentee"}
    assert unassigned == {"190025", "190029", "190035", "190040"}
    # And the whole allocation is the library's, for either side.
    _, student_allocation = _library()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = student_allocation.create_from_dictionaries(
            student_lists,
            {g: ss for g, ss in supervisor_lists.items() if ss},
            supervisor_of,
            project_cap,
            supervisor_cap,
        )
        theirs = sorted((p.name, s.name) for p, ss in game.solve(optimal="student").items() for s in ss)
    assert pairs_of(result) == theirs
    supervisor_optimal = stable(problem, "mentor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = student_allocation.create_from_dictionaries(
            student_lists,
            {g: ss for g, ss in supervisor_lists.items() if ss},
            supervisor_of,
            project_cap,
            supervisor_cap,
        )
        theirs = sorted((p.name, s.name) for p, ss in game.solve(optimal="supervisor").items() for s in ss)
    assert pairs_of(supervisor_optimal) == theirs


def test_a_group_whose_members_rank_differently_is_refused_by_name():
    problem = pm.Problem.from_preferences(
        {"P1": "S1 > S2", "P2": "S2 > S1"},
        {"S1": "P1 > P2", "S2": "P2"},
        mentor_attributes={"P1": {"supervisor": "U"}, "P2": {"supervisor": "U"}},
        rules=pm.Rules(quotas=(Quota(side="mentor", key="supervisor", value="U", max_pairs=1),)),
    )
    with pytest.raises(pm.PairmatchError, match="mentors with supervisor = 'U': its members rank the other side in"):
        pm.solve(problem, pm.SolveParams(objective="stable"))


@pytest.mark.parametrize(
    ("quota", "words"),
    [
        (Quota(side="mentor", key="supervisor", min_pairs=1), "honours only max_pairs"),
        (Quota(side="mentor", key="bcu", max_pairs=1), "one side by one attribute"),
    ],
)
def test_quotas_a_stable_allocation_cannot_honour_are_refused(quota, words):
    problem = pm.Problem.from_preferences(
        {"P1": "S1"},
        {"S1": "P1"},
        mentor_attributes={"P1": {"supervisor": "U"}},
        rules=pm.Rules(quotas=(quota,)),
    )
    with pytest.raises(pm.PairmatchError, match=words):
        pm.solve(problem, pm.SolveParams(objective="stable"))


def test_rankings_only_when_asked_and_available():
    problem = pm.Problem.from_preferences({"H1": "R1"}, {"R1": []})
    with pytest.raises(pm.PairmatchError, match="needs the mentees' rankings"):
        pm.solve(problem, pm.SolveParams(objective="stable", stable_preferences="rankings"))
    by_scores = pm.solve(problem, pm.SolveParams(objective="stable", stable_preferences="scores"))
    assert by_scores.certificate["preferences"] == {"mentor": "scores", "mentee": "scores"}
    assert pairs_of(by_scores) == [("H1", "R1")]
