"""The certified sparse method returns the dense optimum, on random and adversarial instances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch
import pairmatch as pm
from pairmatch import (
    InfeasibleProblemError,
    Mentee,
    Mentor,
    Problem,
    Rules,
    SolveParams,
    explain,
    is_feasible,
    synthetic_problem,
    why_unmatched,
)
from pairmatch.constraints import PAIR_RULES, RuleChecker
from pairmatch.explanations import alternatives, explain_pair
from pairmatch.scoring import Scorer
from pairmatch.solver import _certify, _sparse, scaling_for
from pairmatch.solver._space import PairSpace

from strategies import problems

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def both(problem: Problem, k: int, objective: str = "max_score"):
    """Dense and sparse results (or the exception each raised)."""
    out = []
    for method in ("dense", "sparse"):
        params = SolveParams(method=method, candidates_per_person=k, objective=objective)
        try:
            out.append(pairmatch.solve(problem, params))
        except InfeasibleProblemError as err:
            out.append(err)
    return out


def assert_same_optimum(problem: Problem, k: int, objective: str = "max_score") -> None:
    dense, sparse = both(problem, k, objective)
    if isinstance(dense, InfeasibleProblemError):
        assert isinstance(sparse, InfeasibleProblemError)
        return
    assert not isinstance(sparse, Exception), sparse
    assert is_feasible(sparse, problem)
    assert sparse.status == "optimal"
    assert sparse.certificate["integer_objective"] == dense.certificate["integer_objective"]
    assert sparse.objective == pytest.approx(dense.objective, abs=sparse.certificate["rounding_bound"] + 1e-9)
    if objective == "max_participation":
        assert sparse.n_pairs == dense.n_pairs
    if sparse.certificate.get("method") == "sparse":
        assert sparse.certificate["certified_over_all_pairs"] is True
        assert sparse.certificate["final_max_violation"] <= 0


@PROPS
@given(problem=problems(mentors=(1, 12), mentees=(1, 12)), k=st.integers(1, 3))
def test_one_to_one_equals_dense(problem, k):
    assert_same_optimum(problem, k)


@PROPS
@given(
    problem=problems(
        mentors=(1, 8), mentees=(1, 12), mentor_max=(0, 3), mentee_max=(0, 2), forbidden=True, min_score=True
    ),
    k=st.integers(1, 2),
)
def test_capacities_forbidden_pairs_and_min_score_equal_dense(problem, k):
    assert_same_optimum(problem, k)


@PROPS
@given(
    problem=problems(
        mentors=(1, 10),
        mentees=(1, 12),
        mentor_max=(0, 2),
        mentee_max=(0, 1),
        forbidden=True,
        min_score=True,
        structural=True,
    ),
    k=st.integers(1, 2),
    type_scan=st.booleans(),
    whole_rows=st.booleans(),
)
def test_rules_that_leave_people_unmatched_equal_dense(problem, k, type_scan, whole_rows):
    """Rules decided by type (overlap, focus, distance), forbidden pairs, a minimum score and
    people taking no partner, certified by the plain scan or by the per-type scan (forced here
    at small sizes), whose unmatched people are scanned as whole rows or pair by pair."""
    with pytest.MonkeyPatch.context() as patch:
        if type_scan:
            patch.setattr(_sparse, "FULL_SCAN_PAIRS", 0)
        if not whole_rows:
            patch.setattr(_certify, "WHOLE_ROW_SHARE", 0)
        assert_same_optimum(problem, k)


@PROPS
@given(problem=problems(mentors=(1, 10), mentees=(1, 10), forbidden=True, min_score=True, structural=True))
def test_people_the_rules_pair_with_nobody_are_found_by_type(problem):
    """`TypedRules.alone` marks exactly the people whom the rules decided by type (all but
    forbidden pairs and the minimum score) pair with no one, read from the dense rule bits."""
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, SolveParams()))
    if space.typed is None:
        return
    bits = RuleChecker(problem, scorer).block(slice(None), slice(None), scorer.block(slice(None)))
    by_type = (bits & ~np.uint16(PAIR_RULES)) == 0
    mentors, mentees = space.typed.alone()
    assert mentors.tolist() == (~by_type.any(axis=1)).tolist()
    assert mentees.tolist() == (~by_type.any(axis=0)).tolist()
    # and the sparse path, which reads them as people without room, keeps the dense optimum
    assert_same_optimum(problem, 1)


def test_someone_the_rules_pair_with_nobody_who_must_be_matched_is_infeasible_on_every_path():
    """A mentee the overlap rule pairs with no mentor, under ``match_all_mentees``: the sparse
    path (which leaves such people out of its scans) hands over, and the diagnosis names them."""
    base = synthetic_problem(40, 40, seed=5)
    lonely = base.mentees[0].model_copy(update={"availability": ("Sun 06:00-06:30",)})
    mentors = [m.model_copy(update={"availability": ("Mon 18:00-20:00",)}) for m in base.mentors]
    problem = base.model_copy(
        update={
            "mentors": mentors,
            "mentees": (lonely, *base.mentees[1:]),
            "rules": Rules(min_overlap_minutes=60, match_all_mentees=True),
        }
    )
    for method in ("sparse", "dense"):
        with pytest.raises(InfeasibleProblemError) as err:
            pairmatch.solve(problem, SolveParams(method=method))
        assert lonely.id in str(err.value)
    # Without the lower bound the lonely mentee is simply unmatched, with the rule named.
    free = problem.model_copy(update={"rules": Rules(min_overlap_minutes=60)})
    result = pairmatch.solve(free, SolveParams(method="sparse"))
    assert result.certificate["method"] == "sparse"
    assert "too little common availability (40 mentors)" in why_unmatched(result, lonely.id)


@PROPS
@given(
    problem=problems(
        mentors=(1, 6),
        mentees=(1, 8),
        mentor_max=(1, 3),
        mentor_min=(0, 1),
        mentee_min=(0, 1),
        forbidden=True,
        required=True,
    ),
    k=st.integers(1, 2),
)
def test_lower_bounds_and_pins_equal_dense_or_both_infeasible(problem, k):
    assert_same_optimum(problem, k)


@PROPS
@given(problem=problems(mentors=(1, 10), mentees=(1, 10), mentor_max=(1, 2), min_score=True), k=st.integers(1, 2))
def test_max_participation_equals_dense(problem, k):
    assert_same_optimum(problem, k, "max_participation")


@st.composite
def tied_problems(draw):
    """Adversarial: people copied from a few templates (massive ties), and a
    crowd of mentors all preferring the same few mentees so each one's top
    candidates miss the optimum and certification has to widen the graph."""
    fields = st.fixed_dictionaries(
        {
            "focus_areas": st.lists(
                st.sampled_from(["knife crime", "domestic abuse", "hate crime", "online safety"]),
                min_size=1,
                max_size=2,
                unique=True,
            ),
            "boroughs": st.lists(st.sampled_from(["Newham", "Hackney", "Brent", "Croydon"]), min_size=1, max_size=1),
            "availability": st.sampled_from([["Mon 18:00-20:00"], ["Sat 10:00-12:00"], ["Mon 18:00-19:00"], []]),
        }
    )
    templates = draw(st.lists(fields, min_size=1, max_size=3))
    n_m, n_e = draw(st.integers(2, 14)), draw(st.integers(2, 14))
    star = {"focus_areas": ["knife crime"], "boroughs": ["Newham"], "availability": ["Mon 18:00-20:00"]}
    mentors = tuple(
        Mentor(
            id=f"M{i}", **(star if i % 2 else draw(st.sampled_from(templates))), max_partners=draw(st.integers(1, 2))
        )
        for i in range(n_m)
    )
    mentees = tuple(Mentee(id=f"E{j}", **(star if j < 2 else draw(st.sampled_from(templates)))) for j in range(n_e))
    return Problem(mentors=mentors, mentees=mentees)


@PROPS
@given(problem=tied_problems(), k=st.integers(1, 2))
def test_ties_and_crowded_favourites_equal_dense(problem, k):
    assert_same_optimum(problem, k)


@pytest.mark.parametrize(("n_mentors", "n_mentees", "cap", "k"), [(60, 60, 1, 1), (40, 110, 3, 2), (90, 70, 1, 2)])
def test_synthetic_instances_equal_dense(n_mentors, n_mentees, cap, k):
    problem = synthetic_problem(n_mentors, n_mentees, seed=n_mentors, mentor_capacity=cap)
    assert_same_optimum(problem, k)


def test_rules_on_synthetic_instance_equal_dense():
    rules = Rules(
        min_score=0.3,
        forbid_same=("bcu",),
        max_borough_steps=3,
        min_overlap_minutes=60,
        forbidden_pairs=(("Y00001", "P00001"), ("Y00002", "P00005")),
        required_pairs=(("Y00003", "P00007"),),
    )
    problem = synthetic_problem(50, 50, seed=3, rules=rules)
    assert_same_optimum(problem, 2)


def test_sparse_result_explains_itself_without_a_dense_table():
    problem = synthetic_problem(30, 45, seed=8)
    dense, sparse = both(problem, 2)
    assert sparse.certificate["method"] == "sparse"
    assert [u.person_id for u in sparse.unmatched]
    assert is_feasible(sparse, problem)
    assert {u.code for u in sparse.unmatched} == {u.code for u in dense.unmatched}
    text = explain(sparse)
    assert "shared focus" in text or "related focus" in text
    pair = sparse.pairs[0]
    e_sparse = explain_pair(sparse, pair.mentor_id, pair.mentee_id)
    e_dense = explain_pair(dense, pair.mentor_id, pair.mentee_id)
    assert (e_sparse.score, e_sparse.components, e_sparse.blocked_by) == (
        e_dense.score,
        e_dense.components,
        e_dense.blocked_by,
    )
    assert alternatives(sparse, pair.mentee_id, 3)
    assert alternatives(sparse, pair.mentor_id, 3)
    # The on-demand views read the same numbers as the dense table: alternatives recomputed
    # from the dense scores, for the sparse result's own partners, agree exactly.
    total = pairmatch.score(problem).total
    j = problem.mentee_index()[pair.mentee_id]
    taken = set(sparse.partners_of(pair.mentee_id))
    expected = sorted(
        ((-float(total[i, j]), i) for i, m in enumerate(problem.mentors) if m.id not in taken and total[i, j] > 0)
    )[:5]
    assert [(a.partner_id, a.score) for a in alternatives(sparse, pair.mentee_id, 5)] == [
        (problem.mentors[i].id, -neg) for neg, i in expected
    ]
    assert "unmatched" in why_unmatched(sparse, sparse.unmatched[0].person_id)


def test_certificate_reports_the_search():
    problem = synthetic_problem(80, seed=2)
    result = pairmatch.solve(problem, SolveParams(method="sparse", candidates_per_person=1))
    cert = result.certificate
    assert cert["certified_over_all_pairs"] is True
    assert cert["rounds"] >= 2
    assert cert["arcs_added"] > 0
    assert cert["candidate_arcs"] >= 80
    assert cert["pairs_total"] == 80 * 80
    assert result.solver.endswith("[sparse, certified]")


def test_auto_uses_dense_for_small_problems_and_unsupported_objectives():
    problem = synthetic_problem(20, seed=1)
    assert pairmatch.solve(problem).certificate["method"] == "dense"
    maxmin = pairmatch.solve(problem, SolveParams(method="sparse", objective="maxmin"))
    assert "sparse" not in maxmin.solver
    assert maxmin.certificate["method"] == "dense"


def test_certificate_fields_say_what_was_checked():
    problem = synthetic_problem(90, seed=4)
    cert = pairmatch.solve(problem, SolveParams(method="sparse")).certificate
    assert cert["method"] == "sparse"
    assert cert["end"] == "certified"
    assert cert["certified_over_all_pairs"] is True
    assert cert["pairs_total"] == 90 * 90
    assert cert["pairs_cleared_by_bound"] + cert["pairs_scored_exactly"] == cert["pairs_total"]
    assert {"checked_against_all_pairs", "pairs_checked", "candidates_kept"}.isdisjoint(cert)
    assert not any("time" in key for key in cert)  # timings live in result.timings
    dense = pairmatch.solve(problem, SolveParams(method="dense")).certificate
    assert dense["method"] == "dense"
    assert dense["certified_over_all_pairs"] is True
    assert dense["pairs_scored_exactly"] == dense["pairs_total"] == 90 * 90


def test_certificates_are_identical_between_runs():
    problem = synthetic_problem(70, seed=9)
    params = SolveParams(method="sparse", candidates_per_person=1)
    first, second = pairmatch.solve(problem, params), pairmatch.solve(problem, params)
    assert dict(first.certificate) == dict(second.certificate)
    assert first.timings
    assert set(first.timings) >= {"select", "solve", "certify"}


def test_round_budget_stops_and_says_so():
    problem = synthetic_problem(80, seed=2)
    params = SolveParams(method="sparse", candidates_per_person=1, max_rounds=1, on_round_budget="stop")
    result = pairmatch.solve(problem, params)
    cert = result.certificate
    assert cert["method"] == "sparse"
    assert cert["end"] == "round_budget"
    assert cert["rounds"] == 1
    assert cert["certified_over_all_pairs"] is False
    assert cert["final_max_violation"] > 0
    assert result.status == "feasible"
    assert "uncertified" in result.solver
    assert is_feasible(result, problem)
    optimum = pairmatch.solve(problem, SolveParams(method="dense")).certificate["integer_objective"]
    assert cert["integer_objective"] <= optimum


def test_round_budget_switches_to_dense_explicitly_when_it_fits():
    problem = synthetic_problem(80, seed=2)
    params = SolveParams(method="sparse", candidates_per_person=1, max_rounds=1)
    result = pairmatch.solve(problem, params)
    cert = result.certificate
    assert cert["method"] == "dense"
    assert cert["switched_from"] == "sparse"
    assert "round_budget" in cert["switch_reason"]
    assert result.status == "optimal"
    # ... and never when the dense table would be too large: then it stops, saying why.
    small_limit = params.model_copy(update={"dense_max_pairs": 80 * 80 - 1})
    stopped = pairmatch.solve(problem, small_limit).certificate
    assert stopped["method"] == "sparse"
    assert stopped["end"] == "round_budget"
    assert stopped["certified_over_all_pairs"] is False


def test_solver_parameters_are_validated():
    with pytest.raises(ValueError, match="max_rounds"):
        SolveParams(max_rounds=0)
    with pytest.raises(ValueError, match="on_round_budget"):
        SolveParams(on_round_budget="quietly")
    with pytest.raises(ValueError, match="dense_max_pairs"):
        SolveParams(dense_max_pairs=-1)


@pytest.mark.parametrize("method", ["profiles", "sparse", "dense", "auto"])
def test_an_empty_side_is_solved_by_every_method_and_the_reason_is_named(method):
    result = pm.solve(pm.synthetic_problem(0, 3, seed=1), pm.SolveParams(method=method))
    assert result.status == "optimal"
    assert not result.pairs
    assert len(result.unmatched) == 3
    if method in ("profiles", "sparse"):
        certificate = result.certificate
        assert "empty" in (certificate.get("switch_reason") or certificate.get("method_reason") or "")


def test_alternatives_of_unmatched_people_agree_with_the_dense_table_under_rules():
    """Rules that leave people unmatched: the batched alternatives of everyone unmatched, read
    through the sparse path's on-demand views, equal those computed from the dense table."""
    from pairmatch.explanations import alternatives_of

    problem = synthetic_problem(40, 50, seed=11, rules=pairmatch.Rules(min_overlap_minutes=60, min_score=0.3))
    _, sparse = both(problem, 2)
    ids = [u.person_id for u in sparse.unmatched]
    assert ids
    table = pairmatch.score(problem)
    blocked = pairmatch.constraints.build_candidates(problem, table).blocked
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    found = alternatives_of(sparse, ids, 3)
    for pid in ids:
        if pid in mentor_ix:
            row, bits, others = table.total[mentor_ix[pid]], blocked[mentor_ix[pid]], problem.mentees
        else:
            row, bits, others = table.total[:, mentee_ix[pid]], blocked[:, mentee_ix[pid]], problem.mentors
        taken = set(sparse.partners_of(pid))
        expected = sorted(
            (-float(row[x]), x) for x, o in enumerate(others) if o.id not in taken and bits[x] == 0 and row[x] > 0
        )[:3]
        assert [(a.partner_id, a.score) for a in found[pid]] == [(others[x].id, -v) for v, x in expected]


@st.composite
def problems_with_listed_bonuses(draw):
    """Rules that leave people out, plus a caller component on a few listed pairs (default 0),
    like a re-match's continuity: the sparse path keeps those pairs in its graph."""
    problem = draw(
        problems(mentors=(1, 9), mentees=(1, 10), mentor_max=(0, 2), forbidden=True, min_score=True, structural=True)
    )
    pairs = [(m.id, e.id) for m in problem.mentors for e in problem.mentees]
    listed = draw(st.lists(st.sampled_from(pairs), max_size=6, unique=True))
    values = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=len(listed), max_size=len(listed)))
    bonus = pm.CustomScore(
        name="kept",
        weight=draw(st.sampled_from([0.05, 0.3, 2.0])),
        entries=tuple((m, e, v) for (m, e), v in zip(listed, values, strict=True)),
        default=0.0,
        max_value=1.0,
    )
    return problem.model_copy(update={"scores": (bonus,)})


@PROPS
@given(problem=problems_with_listed_bonuses(), k=st.integers(1, 2), type_scan=st.booleans())
def test_listed_bonus_pairs_equal_dense(problem, k, type_scan):
    with pytest.MonkeyPatch.context() as patch:
        if type_scan:
            patch.setattr(_sparse, "FULL_SCAN_PAIRS", 0)
        assert_same_optimum(problem, k)
