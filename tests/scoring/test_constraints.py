"""Hard rules, objectives and quotas against brute-force enumeration on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch.availability import window_slots
from pairmatch.models import Quota

from support.scaling import solver_scaling

TOPICS = ["knife crime", "domestic abuse", "social inequality", "stop and search", "mental health"]
BOROUGHS = ["Newham", "Tower Hamlets", "Hackney", "Brent", "Croydon", "Waltham Forest"]
WINDOWS = ["Mon 18:00-19:00", "Mon 18:30-20:00", "Tue 10:00-12:00", "Sat 10:00-11:00", "Sun 14:00-16:00"]


@st.composite
def people(draw, prefix: str, n: int, cap_max: int, min_max: int):
    out = []
    for k in range(n):
        hi = draw(st.integers(0, cap_max)) if cap_max > 1 else draw(st.sampled_from([0, 1, 1, 1]))
        # Minimums are drawn sparingly: most drawn problems should be feasible, so every
        # objective phase is exercised, while infeasible ones still occur.
        lo = min(hi, min_max, draw(st.sampled_from([0] * 11 + [1])))
        out.append(
            dict(
                id=f"{prefix}{k}",
                focus_areas=draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
                boroughs=draw(st.lists(st.sampled_from(BOROUGHS), min_size=1, max_size=2, unique=True)),
                availability=draw(st.lists(st.sampled_from(WINDOWS), max_size=2, unique=True)),
                min_partners=lo,
                max_partners=hi,
                attributes={"team": draw(st.sampled_from(["a", "b"]))},
            )
        )
    return out


@st.composite
def problems(draw, quotas: bool = False, minimums: bool = True, pair_rules: bool = False):
    m = draw(st.integers(1, 3))
    n = draw(st.integers(1, 4))
    mentors = draw(people("M", m, 2, 1 if minimums else 0))
    mentees = draw(people("E", n, 1, 1 if minimums else 0))
    pairs = [(f"M{i}", f"E{j}") for i in range(m) for j in range(n)]
    forbidden = draw(st.lists(st.sampled_from(pairs), max_size=2, unique=True))
    pinnable = [p for p in pairs if p not in forbidden] or pairs
    rules = dict(
        forbidden_pairs=forbidden,
        required_pairs=draw(st.sampled_from([[], [], draw(st.lists(st.sampled_from(pinnable), max_size=1))])),
        min_score=draw(st.sampled_from([None, 0.1, 0.3])),
        require_focus_overlap=draw(st.booleans()),
        min_overlap_minutes=draw(st.sampled_from([0, 0, 30, 90])),
        max_borough_steps=draw(st.sampled_from([None, None, 1, 2])),
        forbid_same=draw(st.sampled_from([(), (), ("team",), ("bcu",)])),
    )
    if pair_rules:
        # Must-match, eligibility and conditional rules (read by people's rule types).
        rules["require_same"] = draw(st.sampled_from([(), ("team",), ("borough",)]))
        rules["require"] = draw(st.sampled_from([(), (pm.Requirement(side="mentee", attribute="team", equals="a"),)]))
        rules["conditional"] = draw(
            st.sampled_from(
                [
                    (),
                    (
                        pm.PairRule(
                            when=pm.When(focus=("knife crime",), focus_of="either"), then=pm.Then(same=("team",))
                        ),
                    ),
                    (
                        pm.PairRule(
                            when=pm.When(mentor=(pm.Condition(attribute="team", equals="b"),)),
                            then=pm.Then(same=("bcu",)),
                        ),
                    ),
                ]
            )
        )
    if quotas:
        rules["quotas"] = draw(
            st.lists(
                st.builds(
                    Quota,
                    side=st.sampled_from(["mentor", "mentee"]),
                    key=st.sampled_from(["team", "bcu", "focus"]),
                    min_pairs=st.sampled_from([0, 0, 0, 1]),
                    max_pairs=st.sampled_from([None, 1, 2]),
                    max_share=st.sampled_from([None, None, 0.5, 0.75]),
                ),
                min_size=1,
                max_size=2,
            )
        )
    weights = draw(st.sampled_from([pm.Weights(), pm.Weights(focus=1, borough=0, availability=0.5)]))
    try:
        return pm.Problem(mentors=mentors, mentees=mentees, rules=rules, weights=weights)
    except ValueError:
        # A drawn rule that would match nobody is refused by the model; draw again.
        assume(not pair_rules)
        raise


def allowed_pairs(problem: pm.Problem, total: np.ndarray) -> set[tuple[int, int]]:
    """Candidate pairs computed directly from each rule's definition."""
    r, geo = problem.rules, problem.geography
    out = set()
    for (i, a), (j, b) in itertools.product(enumerate(problem.mentors), enumerate(problem.mentees)):
        if (a.id, b.id) in r.forbidden_pairs:
            continue
        if r.min_score is not None and total[i, j] < r.min_score - 1e-9:
            continue
        related = [problem.taxonomy.relatedness(x, y) for x in a.focus_areas for y in b.focus_areas]
        if r.require_focus_overlap and max(related, default=0) <= 0:
            continue
        overlap = 30 * len(window_slots(a.availability) & window_slots(b.availability))
        if overlap < r.min_overlap_minutes:
            continue
        steps = [geo.steps(x, y) for x in a.boroughs for y in b.boroughs]
        if r.max_borough_steps is not None and min(steps) > r.max_borough_steps:
            continue
        if "team" in r.forbid_same and a.attributes["team"] == b.attributes["team"]:
            continue
        units = lambda p: {geo.unit_of[x] for x in p.boroughs}  # noqa: E731
        if "bcu" in r.forbid_same and units(a) & units(b):
            continue
        out.add((i, j))
    return out


def group_of(problem: pm.Problem, person: pm.Person, key: str):
    if key == "focus":
        return person.focus_areas[0] if person.focus_areas else None
    if key == "bcu":
        return problem.geography.unit_of[person.boroughs[0]]
    return person.attributes.get(key)


def quotas_hold(problem: pm.Problem, chosen: list[tuple[int, int]]) -> bool:
    for q in problem.rules.quotas:
        side = problem.mentors if q.side == "mentor" else problem.mentees
        labels = [group_of(problem, p, q.key) for p in side]
        for value in {v for v in labels if v is not None}:
            inside = sum(1 for i, j in chosen if labels[i if q.side == "mentor" else j] == value)
            if inside < q.min_pairs or (q.max_pairs is not None and inside > q.max_pairs):
                return False
            if q.max_share is not None and inside > q.max_share * len(chosen) + 1e-12:
                return False
    return True


def brute_force(problem: pm.Problem):
    """All feasible matchings' (count, weakest, total) keys, by enumerating arc subsets."""
    total = pm.score(problem).total
    gain = solver_scaling(problem).to_integer(total)
    arcs = sorted(allowed_pairs(problem, total))
    required = {(int(m[1:]), int(e[1:])) for m, e in problem.rules.required_pairs}
    match_all = problem.rules.match_all_mentors, problem.rules.match_all_mentees
    feasible = []
    for r in range(len(arcs) + 1):
        for chosen in itertools.combinations(arcs, r):
            if not required <= set(chosen):
                continue
            ok = True
            for s, side in enumerate((problem.mentors, problem.mentees)):
                for k, p in enumerate(side):
                    load = sum(1 for pair in chosen if pair[s] == k)
                    lo = max(p.min_partners, min(int(match_all[s]), p.max_partners))
                    ok &= lo <= load <= p.max_partners
            if ok and quotas_hold(problem, list(chosen)):
                gains = [int(gain[i, j]) for i, j in chosen]
                feasible.append((len(chosen), min(gains, default=0), sum(gains)))
    return feasible


def solved_key(problem: pm.Problem, result: pm.MatchResult):
    gain = solver_scaling(problem).to_integer(pm.score(problem).total)
    ix, ex = problem.mentor_index(), problem.mentee_index()
    gains = [int(gain[ix[p.mentor_id], ex[p.mentee_id]]) for p in result.pairs]
    return len(gains), min(gains, default=0), sum(gains)


def check_against_brute_force(problem: pm.Problem, params: pm.SolveParams) -> None:
    feasible = brute_force(problem)
    if not feasible:
        with pytest.raises(pm.InfeasibleProblemError) as err:
            pm.solve(problem, params)
        assert err.value.reasons
        assert all("message" in r for r in err.value.reasons)
        return
    result = pm.solve(problem, params)
    assert pm.violations(result, problem) == []
    assert result.status == "optimal"
    got = solved_key(problem, result)
    if params.objective == "max_score":
        assert got[2] == max(f[2] for f in feasible)
    elif params.objective == "max_participation":
        assert (got[0], got[2]) == max((f[0], f[2]) for f in feasible)
    else:
        assert got == max(feasible)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems(), st.sampled_from(["max_score", "max_participation", "maxmin"]))
def test_flow_modes_match_brute_force(problem, objective):
    check_against_brute_force(problem, pm.SolveParams(objective=objective))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["max_score", "max_participation", "maxmin"]))
def test_cpsat_modes_match_brute_force(problem, objective):
    check_against_brute_force(problem, pm.SolveParams(objective=objective, backend="cpsat"))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(quotas=True), st.sampled_from(["max_score", "max_participation", "maxmin"]))
def test_quotas_match_brute_force(problem, objective):
    check_against_brute_force(problem, pm.SolveParams(objective=objective))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(minimums=False), st.booleans(), st.booleans())
def test_match_everyone_never_leaves_anyone_out_silently(problem, all_mentors, all_mentees):
    rules = problem.rules.model_copy(update={"match_all_mentors": all_mentors, "match_all_mentees": all_mentees})
    problem = problem.model_copy(update={"rules": rules})
    check_against_brute_force(problem, pm.SolveParams())


def test_plain_rules_reduce_to_scipy_assignment():
    from scipy.optimize import linear_sum_assignment

    problem = pm.synthetic_problem(30, 25, seed=11)
    rules = pm.Rules(forbidden_pairs=(("Y00000", "P00000"), ("Y00001", "P00003")), min_score=0.2)
    problem = problem.model_copy(update={"rules": rules})
    table = pm.score(problem)
    blocked = np.ones(table.shape, dtype=bool)
    for i, j in allowed_pairs(problem, table.total):
        blocked[i, j] = False
    # A ruled-out pair contributes nothing, exactly as leaving both people unmatched.
    matrix = np.where(blocked, 0.0, table.total)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    for objective in ("max_score",):
        for backend in ("assignment", "flow", "cpsat"):
            result = pm.solve(problem, pm.SolveParams(objective=objective, backend=backend))
            assert pm.is_feasible(result, problem)
            assert result.objective == pytest.approx(
                matrix[rows, cols].sum(), abs=result.certificate["rounding_bound"] + 1e-9
            )


# --- known instances -------------------------------------------------------------------------


def person(pid, topics=("knife crime",), places=("Newham",), windows=("Mon 18:00-19:00",), **kw):
    return dict(id=pid, focus_areas=list(topics), boroughs=list(places), availability=list(windows), **kw)


def test_pinned_pair_is_kept_even_when_worse():
    problem = pm.Problem(
        mentors=[person("A"), person("B", topics=("mental health",))],
        mentees=[person("X"), person("Y", topics=("mental health",))],
        rules=pm.Rules(required_pairs=(("A", "Y"),)),
    )
    result = pm.solve(problem)
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("A", "Y"), ("B", "X")}
    assert [p.pinned for p in result.pairs] == [True, False]
    assert pm.is_feasible(result, problem)


def test_forbidden_pair_never_appears_and_is_explained():
    problem = pm.Problem(
        mentors=[person("A")],
        mentees=[person("X"), person("Y", topics=("drugs",))],
        rules=pm.Rules(forbidden_pairs=(("A", "X"),)),
    )
    result = pm.solve(problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("A", "Y")]
    assert pm.explain_pair(result, "A", "X").blocked_by == ("forbidden pair",)
    assert "not a candidate: forbidden pair" in pm.why_not(result, "A", "X")


def test_why_not_reports_exact_loss_of_forcing_a_pair():
    problem = pm.Problem(
        mentors=[person("A"), person("B", topics=("mental health",))],
        mentees=[person("X"), person("Y", topics=("mental health",))],
    )
    result = pm.solve(problem)
    forced = pm.solve(problem.model_copy(update={"rules": pm.Rules(required_pairs=(("A", "Y"),))}))
    text = pm.why_not(result, "A", "Y")
    assert f"{result.objective - forced.objective:.4f} less" in text


def test_quota_forces_a_weaker_pair():
    # Two strong knife-crime pairs are possible, but one mentee focus group must be served.
    problem = pm.Problem(
        mentors=[person("A"), person("B")],
        mentees=[person("X"), person("Y"), person("Z", topics=("mental health",))],
        rules=pm.Rules(quotas=(Quota(side="mentee", key="focus", value="mental health", min_pairs=1),)),
    )
    result = pm.solve(problem)
    assert "Z" in {p.mentee_id for p in result.pairs}
    assert result.solver.startswith("ortools.cp_sat")
    assert result.status == "optimal"
    assert pm.is_feasible(result, problem)


def test_max_share_quota():
    problem = pm.Problem(
        mentors=[person("A", places=("Newham",)), person("B", places=("Newham",)), person("C", places=("Brent",))],
        mentees=[person("X"), person("Y"), person("Z")],
        rules=pm.Rules(quotas=(Quota(side="mentor", key="bcu", max_share=0.5),)),
    )
    result = pm.solve(problem)
    # 3 pairs would put 2/3 of them in North East; 2 pairs with one from each BCU is the best.
    assert result.n_pairs == 2
    assert {p.mentor_id for p in result.pairs} & {"A", "B"}
    assert "C" in {p.mentor_id for p in result.pairs}


def test_maxmin_trades_total_for_the_weakest_pair():
    # Max score pairs A-X (1.0) and B-Y (0.5 topic miss); fairness prefers two middling pairs.
    problem = pm.Problem(
        mentors=[person("A", topics=("knife crime",)), person("B", topics=("gang violence",))],
        mentees=[person("X", topics=("knife crime",)), person("Y", topics=("domestic abuse",))],
        weights=pm.Weights(focus=1, borough=0, availability=0),
    )
    best = pm.solve(problem)
    fair = pm.solve(problem, pm.SolveParams(objective="maxmin"))
    assert min(p.score for p in fair.pairs) >= min(p.score for p in best.pairs)
    assert fair.objective <= best.objective
    assert pm.is_feasible(fair, problem)
    assert fair.certificate["bottleneck_integer"] == round(min(p.score for p in fair.pairs) * fair.certificate["scale"])


def test_participation_matches_more_people_than_max_score():
    # A-X is strong; matching A-Y and B-X instead pairs everyone.
    problem = pm.Problem(
        mentors=[person("A"), person("B", topics=("mental health",), windows=())],
        mentees=[person("X"), person("Y", topics=("hate crime",), windows=())],
        weights=pm.Weights(focus=1, borough=0, availability=0),
        rules=pm.Rules(forbidden_pairs=(("B", "Y"),)),
    )
    participation = pm.solve(problem, pm.SolveParams(objective="max_participation"))
    assert participation.n_pairs == 2
    assert pm.is_feasible(participation, problem)


# --- infeasibility certificates ---------------------------------------------------------------


def reasons_of(problem, **params):
    with pytest.raises(pm.InfeasibleProblemError) as err:
        pm.solve(problem, pm.SolveParams(**params))
    assert pm.diagnose(problem) or params.get("backend") == "cpsat" or err.value.reasons[0]["rule"] == "quota_conflict"
    return err.value.reasons


def test_pinned_pair_breaking_a_rule_names_both_people_and_the_rule():
    problem = pm.Problem(
        mentors=[person("A")],
        mentees=[person("X")],
        rules=pm.Rules(required_pairs=(("A", "X"),), forbidden_pairs=(("A", "X"),)),
    )
    (reason,) = reasons_of(problem)
    assert reason["rule"] == "pinned_pair_blocked"
    assert reason["people"] == ["A", "X"]
    assert reason["rules"] == ["forbidden pair"]


def test_pinned_over_capacity():
    problem = pm.Problem(
        mentors=[person("A")],
        mentees=[person("X"), person("Y")],
        rules=pm.Rules(required_pairs=(("A", "X"), ("A", "Y"))),
    )
    (reason,) = reasons_of(problem)
    assert reason["rule"] == "pinned_over_capacity"
    assert reason["people"] == ["A"]
    assert reason["pinned"] == 2


def test_person_with_too_few_candidates():
    problem = pm.Problem(
        mentors=[person("A", min_partners=1)], mentees=[person("X")], rules=pm.Rules(forbidden_pairs=(("A", "X"),))
    )
    reasons = reasons_of(problem)
    assert reasons[0]["rule"] == "too_few_candidates"
    assert reasons[0]["people"] == ["A"]


def test_capacity_shortfall():
    problem = pm.Problem(
        mentors=[person("A")], mentees=[person("X"), person("Y")], rules=pm.Rules(match_all_mentees=True)
    )
    reasons = reasons_of(problem)
    shortfall = [r for r in reasons if r["rule"] == "capacity_shortfall"]
    assert shortfall
    assert shortfall[0]["need"] == 2
    assert shortfall[0]["can_take"] == 1


def test_hall_violator_certificate_is_verifiable():
    # Mentees X, Y, Z can only meet mentors A and B (C is forbidden to all of them).
    mentors = [person("A"), person("B"), person("C")]
    mentees = [person("X"), person("Y"), person("Z")]
    problem = pm.Problem(
        mentors=mentors,
        mentees=mentees,
        rules=pm.Rules(match_all_mentees=True, forbidden_pairs=tuple(("C", e) for e in "XYZ")),
    )
    (reason,) = reasons_of(problem)
    assert reason["rule"] == "hall_violation"
    assert reason["side"] == "mentee"
    assert sorted(reason["people"]) == ["X", "Y", "Z"]
    assert sorted(reason["partners"]) == ["A", "B"]
    # Verify the certificate independently: the named partners are all the candidates of the
    # named people, and their capacity is smaller than the need.
    graph = pm.compatibility_graph(problem)
    neighbours = set().union(*(graph[p] for p in reason["people"]))
    assert neighbours == set(reason["partners"])
    capacity = sum(graph.nodes[p]["max_partners"] for p in neighbours)
    assert reason["need"] == len(reason["people"]) > capacity == reason["can_take"]


def test_conflicting_quotas_are_named():
    problem = pm.Problem(
        mentors=[person("A")],
        mentees=[person("X"), person("Y", topics=("mental health",))],
        rules=pm.Rules(quotas=(Quota(side="mentee", key="focus", min_pairs=1),)),
    )
    (reason,) = reasons_of(problem)
    assert reason["rule"] == "quota_conflict"
    assert reason["quotas"]
    assert all("at least 1 pairs for focus" in q for q in reason["quotas"])


def test_violations_catch_broken_rules():
    problem = pm.Problem(
        mentors=[person("A")],
        mentees=[person("X"), person("Y")],
        rules=pm.Rules(forbidden_pairs=(("A", "X"),), match_all_mentors=True),
    )
    result = pm.solve(problem)
    assert pm.violations(result, problem) == []
    bad = pm.MatchResult(
        pairs=(pm.Pair("A", "X", float(pm.score(problem).total[0, 0]), {}, {}),),
        unmatched=(pm.Unmatched("Y", "mentee", "x", "x"),),
        objective=float(pm.score(problem).total[0, 0]),
        status="feasible",
        objective_name="max_score",
        solver="hand",
        runtime_s=0.0,
        certificate={},
    )
    kinds = {v.kind for v in pm.violations(bad, problem)}
    assert "rule" in kinds


def test_unreachable_quota_is_named_before_solving():
    problem = pm.Problem(
        mentors=[person("A", max_partners=3)],
        mentees=[person("X"), person("Y", topics=("mental health",))],
        rules=pm.Rules(quotas=(Quota(side="mentee", key="focus", value="mental health", min_pairs=2),)),
    )
    (reason,) = pm.diagnose(problem)
    assert reason["rule"] == "quota_unreachable"
    assert reason["people"] == ["Y"]
    assert reason["need"] == 2 > reason["can_form"] == 1
    with pytest.raises(pm.InfeasibleProblemError) as err:
        pm.solve(problem)
    assert err.value.reasons == [reason]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(quotas=True))
def test_lp_reduced_cpsat_matches_brute_force(problem):
    # Force the LP-dual arc reduction (and the pair-count split for share quotas),
    # which otherwise only runs on large models, onto instances brute force can check.
    check_against_brute_force(
        problem, pm.SolveParams(objective="max_score", cpsat_reduce_above=0, cpsat_start_candidates=1)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_lp_reduced_cpsat_with_binding_shares_matches_full_model(seed):
    problem = pm.synthetic_problem(12, 10, seed=seed, mentor_capacity=2)
    rules = pm.Rules(
        quotas=(Quota(side="mentor", key="bcu", max_share=0.2), Quota(side="mentee", key="rank", max_share=0.4))
    )
    problem = problem.model_copy(update={"rules": rules})
    full = pm.solve(problem)
    reduced = pm.solve(problem, pm.SolveParams(cpsat_reduce_above=0, cpsat_start_candidates=1))
    assert reduced.solver == "ortools.cp_sat+glop" or "integral LP" in reduced.certificate["proof"]
    assert pm.is_feasible(reduced, problem)
    assert reduced.status == "optimal"
    assert reduced.certificate["integer_objective"] == full.certificate["integer_objective"]


def test_quota_on_an_unknown_attribute_is_rejected_with_the_known_ones():
    message = (
        r"rules.quotas\[0\].key: 'rnk' is not an attribute of any mentee, so it would match nothing \(known: team\)"
    )
    with pytest.raises(ValueError, match=message):
        pm.Problem(
            mentors=[person("A")],
            mentees=[person("X", attributes={"team": "a"})],
            rules=pm.Rules(quotas=(Quota(side="mentee", key="rnk", min_pairs=1),)),
        )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(pair_rules=True))
def test_rule_types_decide_every_rule_outside_the_pair_rules(problem):
    """Two pairs of the same (mentor type, mentee type) get the same rule bits, except for
    forbidden pairs and the score threshold, and `type_block` gives exactly those bits."""
    from pairmatch.constraints import BITS, PAIR_RULES, RuleChecker
    from pairmatch.scoring import Scorer

    scorer = Scorer(problem)
    checker = RuleChecker(problem, scorer)
    types = checker.person_types()
    m, n = problem.shape
    bits = checker.block(slice(None), slice(None), scorer.block(slice(None))) & BITS(~PAIR_RULES & 0xFFFF)
    by_type = checker.type_block(types.mentor, types.mentee)
    assert np.array_equal(bits, by_type)
    assert sorted(set(types.mentor.tolist())) == list(range(types.n_mentor_types))
    assert sorted(set(types.mentee.tolist())) == list(range(types.n_mentee_types))
    assert np.array_equal(types.mentor[types.mentor_first], np.arange(types.n_mentor_types))
    assert np.array_equal(types.mentee[types.mentee_first], np.arange(types.n_mentee_types))
    # Types are no finer than they need to be when no rule reads anything: one type a side.
    if not checker.active and m and n:
        assert (types.n_mentor_types, types.n_mentee_types) == (1, 1)
