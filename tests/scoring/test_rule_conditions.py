"""Must-match, eligibility and conditional rules, soft preferences and rank scores.

The oracle here is written from the documented definitions (text compares without regard to
case, numbers by value, a missing value meets nothing but ``present = false``), never from the
library's own per-pair methods: every pair's rule bits, every component value and the optimum
over the pairs the rules allow (brute force on tiny instances, a MILP on larger ones) are
compared with what `pairmatch` computes and solves.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import pairmatch as pm
from pairmatch.conditions import AttributeLink, Condition, PairRule, Requirement, Then, When
from pairmatch.constraints import Rule, RuleChecker, build_candidates
from pairmatch.preferences import Preference, RankScore
from pairmatch.scoring import Scorer
from pairmatch.solver import scaling_for

TOPICS = ["knife crime", "domestic abuse", "violence against women and girls", "mental health"]
BOROUGHS = ["Newham", "Tower Hamlets", "Hackney", "Brent"]
SEXES = ["female", "Female ", "male"]


# --- the oracle: the definitions, restated --------------------------------------------------


def key(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", float(value))
    return ("t", " ".join(value.split()).lower())


def meets(condition: Condition, person: pm.Person) -> bool:
    value = person.attributes.get(condition.attribute)
    if condition.present is not None and (value is not None) != condition.present:
        return False
    if value is None:
        return condition.present is False
    tests = [
        condition.equals is None or key(value) == key(condition.equals),
        condition.not_equals is None or key(value) != key(condition.not_equals),
        condition.one_of is None or key(value) in [key(v) for v in condition.one_of],
        condition.not_one_of is None or key(value) not in [key(v) for v in condition.not_one_of],
    ]
    if condition.at_least is not None or condition.at_most is not None:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        tests.append(number and (condition.at_least is None or value >= condition.at_least))
        tests.append(number and (condition.at_most is None or value <= condition.at_most))
    return all(tests)


def equal(a: pm.Person, name_a: str, b: pm.Person, name_b: str) -> bool:
    x, y = a.attributes.get(name_a), b.attributes.get(name_b)
    return x is not None and y is not None and key(x) == key(y)


def applies(when: When, m: pm.Person, e: pm.Person) -> bool:
    if when.focus:
        ours, theirs = set(when.focus) & set(m.focus_areas), set(when.focus) & set(e.focus_areas)
        found = {"shared": ours & theirs, "either": ours | theirs, "mentor": ours, "mentee": theirs}[when.focus_of]
        if not found:
            return False
    return all(meets(c, m) for c in when.mentor) and all(meets(c, e) for c in when.mentee)


def same(m: pm.Person, e: pm.Person, name: str) -> bool:
    if name == "borough":
        return bool(set(m.boroughs) & set(e.boroughs))
    return equal(m, name, e, name)


def holds(then: Then, m: pm.Person, e: pm.Person) -> bool:
    ok = all(meets(c, m) for c in then.mentor) and all(meets(c, e) for c in then.mentee)
    ok &= all(same(m, e, n) for n in then.same)
    ok &= all(equal(m, link.mentor, e, link.mentee) for link in then.equal)
    ok &= not any(equal(m, n, e, n) for n in then.different)
    return ok


def expected_bits(problem: pm.Problem, m: pm.Person, e: pm.Person) -> int:
    rules, bits = problem.rules, 0
    if not all(equal(m, n, e, n) for n in rules.require_same):
        bits |= Rule.DIFFERENT_ATTRIBUTE
    if not all(meets(r, m if r.side == "mentor" else e) for r in rules.require):
        bits |= Rule.NOT_ELIGIBLE
    if any(applies(r.when, m, e) and not holds(r.then, m, e) for r in rules.conditional):
        bits |= Rule.CONDITIONAL
    return bits


def rank_of(ranker: pm.Person, other: pm.Person) -> int | None:
    before = 0
    for group in ranker.ranking:
        if other.id in group:
            return before + 1
        before += len(group)
    return None


def component_value(problem: pm.Problem, name: str, m: pm.Person, e: pm.Person) -> float:
    for p in problem.preferences:
        if p.name == name:
            return float(applies(p.when, m, e) and holds(p.then, m, e))
    r = next(r for r in problem.rank_scores if r.name == name)
    rank = rank_of(m, e) if r.side == "mentor" else rank_of(e, m)
    if rank is None:
        return r.unranked
    if not r.values:
        return 1 / rank
    return r.values[rank - 1] if rank <= len(r.values) else r.unranked


def oracle_scores(problem: pm.Problem) -> tuple[np.ndarray, np.ndarray]:
    """(total score, allowed) of every pair: built-ins from `pm.score` (tested elsewhere), the
    preference components and the new rules from the definitions above."""
    table = pm.score(problem)
    m, n = problem.shape
    total = np.zeros((m, n))
    allowed = np.ones((m, n), dtype=bool)
    weights = problem.weights.as_dict()
    for i, j in itertools.product(range(m), range(n)):
        a, b = problem.mentors[i], problem.mentees[j]
        total[i, j] = sum(weights[c] * table.components[c][i, j] for c in ("focus", "borough", "availability"))
        for own in (*problem.preferences, *problem.rank_scores):
            total[i, j] += own.weight * component_value(problem, own.name, a, b)
        allowed[i, j] = expected_bits(problem, a, b) == 0
    return total, allowed


# --- problems --------------------------------------------------------------------------------


@st.composite
def attributes(draw, side: str) -> dict:
    out = {}
    if draw(st.integers(0, 5)):
        out["sex"] = draw(st.sampled_from(SEXES))
    if side == "mentor":
        if draw(st.integers(0, 5)):
            out["age"] = draw(st.sampled_from([16, 17, 18, 18.0, 19, 25]))
        if draw(st.integers(0, 2)) == 0:
            out["needs_officer_sex"] = draw(st.sampled_from(["female", "male"]))
    elif draw(st.integers(0, 5)):
        out["vetting"] = draw(st.sampled_from(["cleared", "CLEARED", "pending"]))
    return out


@st.composite
def people(draw, prefix: str, n: int, others: list[str], side: str, cap: int) -> list[dict]:
    out = []
    for k in range(n):
        ranked = draw(st.lists(st.sampled_from(others), unique=True, max_size=len(others)))
        cuts = draw(st.lists(st.booleans(), min_size=len(ranked), max_size=len(ranked)))
        ranking: list[list[str]] = []
        for pid, tie in zip(ranked, cuts, strict=True):
            if tie and ranking:
                ranking[-1].append(pid)
            else:
                ranking.append([pid])
        out.append(
            dict(
                id=f"{prefix}{k}",
                focus_areas=draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
                boroughs=draw(st.lists(st.sampled_from(BOROUGHS), min_size=1, max_size=1)),
                availability=["Mon 18:00-20:00"],
                max_partners=draw(st.integers(1, cap)) if cap > 1 else 1,
                attributes=draw(attributes(side)),
                ranking=ranking,
            )
        )
    return out


REQUIREMENTS = [
    Requirement(side="mentor", attribute="age", at_least=18),
    Requirement(side="mentor", attribute="age", at_least=17, at_most=19),
    Requirement(side="mentee", attribute="vetting", equals="cleared"),
    Requirement(side="mentee", attribute="vetting", not_equals="pending"),
    Requirement(side="mentee", attribute="vetting", one_of=("cleared", "pending")),
    Requirement(side="mentor", attribute="sex", present=True),
]
FEMALE = Condition(attribute="sex", equals="female")
CONDITIONAL = [
    PairRule(
        name="female officer for VAWG and domestic abuse",
        when=When(focus=("violence against women and girls", "domestic abuse"), focus_of="either"),
        then=Then(mentee=(FEMALE,)),
    ),
    PairRule(when=When(focus=("domestic abuse",), focus_of="shared"), then=Then(same=("sex",))),
    PairRule(when=When(focus=("knife crime",), focus_of="mentee"), then=Then(different=("sex",))),
    PairRule(
        name="a stated need",
        when=When(mentor=(Condition(attribute="needs_officer_sex", present=True),)),
        then=Then(equal=(AttributeLink(mentor="needs_officer_sex", mentee="sex"),)),
    ),
    PairRule(
        when=When(mentor=(Condition(attribute="age", at_most=18),)), then=Then(mentee=(FEMALE,), same=("borough",))
    ),
]
PREFERENCES = [
    Preference(
        name="female_officer",
        weight=0.3,
        when=When(mentor=(Condition(attribute="sex", one_of=("female",)),)),
        then=Then(mentee=(FEMALE,)),
    ),
    Preference(name="same_sex", weight=0.2, then=Then(same=("sex",))),
]
RANK_SCORES = [
    RankScore(name="mentee_choice", side="mentee", weight=0.5),
    RankScore(name="mentor_choice", side="mentor", weight=0.4, values=(1.0, 0.5, 0.25), unranked=0.1),
]


@st.composite
def problems(draw, max_side: int = 3, cap: int = 1) -> pm.Problem:
    m, n = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    mentor_ids, mentee_ids = [f"M{i}" for i in range(m)], [f"E{j}" for j in range(n)]
    mentors = draw(people("M", m, mentee_ids, "mentor", cap))
    mentees = draw(people("E", n, mentor_ids, "mentee", 1))
    rules = pm.Rules(
        require_same=draw(st.sampled_from([(), (), ("sex",)])),
        require=draw(st.lists(st.sampled_from(REQUIREMENTS), max_size=2, unique=True)),
        conditional=draw(st.lists(st.sampled_from(CONDITIONAL), max_size=2, unique=True)),
    )
    try:
        return pm.Problem(
            mentors=mentors,
            mentees=mentees,
            rules=rules,
            preferences=draw(st.lists(st.sampled_from(PREFERENCES), max_size=2, unique=True)),
            rank_scores=draw(st.lists(st.sampled_from(RANK_SCORES), max_size=2, unique=True)),
        )
    except ValidationError:
        # A rule naming a value or topic nobody has is an error (tested below); draw again.
        assume(False)
        raise


def brute_force_best(total: np.ndarray, allowed: np.ndarray, caps: list[int]) -> float:
    """The best total over every set of allowed pairs that respects the capacities."""
    arcs = [(i, j) for i, j in zip(*np.nonzero(allowed), strict=True)]
    best = 0.0
    for r in range(1, len(arcs) + 1):
        for chosen in itertools.combinations(arcs, r):
            rows = [i for i, _ in chosen]
            cols = [j for _, j in chosen]
            if len(set(cols)) < len(cols) or any(rows.count(i) > caps[i] for i in set(rows)):
                continue
            best = max(best, float(sum(total[i, j] for i, j in chosen)))
    return best


def milp_best(total: np.ndarray, allowed: np.ndarray, caps: list[int]) -> float:
    """The same optimum as a MILP over the allowed pairs (scipy), for instances too big to enumerate."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    arcs = np.argwhere(allowed)
    if not len(arcs):
        return 0.0
    m, n = total.shape
    rows = np.zeros((m, len(arcs)))
    cols = np.zeros((n, len(arcs)))
    rows[arcs[:, 0], np.arange(len(arcs))] = 1
    cols[arcs[:, 1], np.arange(len(arcs))] = 1
    result = milp(
        -total[arcs[:, 0], arcs[:, 1]],
        constraints=[LinearConstraint(rows, 0, caps), LinearConstraint(cols, 0, 1)],
        integrality=np.ones(len(arcs)),
        bounds=Bounds(0, 1),
    )
    assert result.success
    return float(-result.fun)


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@SETTINGS
@given(problems(max_side=4))
def test_rule_bits_and_component_values_follow_the_definitions(problem):
    scorer = Scorer(problem)
    checker = RuleChecker(problem, scorer)
    block = scorer.block(slice(None))
    bits = checker.block(slice(None), slice(None), block)
    assert bits.dtype == np.uint16
    mine = int(Rule.DIFFERENT_ATTRIBUTE | Rule.NOT_ELIGIBLE | Rule.CONDITIONAL)
    for (i, m), (j, e) in itertools.product(enumerate(problem.mentors), enumerate(problem.mentees)):
        assert int(bits[i, j]) & mine == expected_bits(problem, m, e), (m, e)
        for own in (*problem.preferences, *problem.rank_scores):
            assert block[own.name][i, j] == pytest.approx(component_value(problem, own.name, m, e))
    # One pair at a time (explanations, results) gives the same numbers as blocks.
    rows, cols = np.divmod(np.arange(bits.size), bits.shape[1])
    values = scorer.pair_values(rows, cols)
    for name in scorer.extra_names:
        assert np.array_equal(values[name], block[name].reshape(-1))
    assert np.array_equal(values["total"], block["total"].reshape(-1))


@SETTINGS
@given(problems(max_side=4))
def test_rules_are_a_function_of_the_rule_codes(problem):
    """Two people with equal codes on every rule are interchangeable for these rules."""
    scorer = Scorer(problem)
    checker = RuleChecker(problem, scorer)
    bits = checker.block(slice(None), slice(None), scorer.block(slice(None))) & np.uint16(
        Rule.DIFFERENT_ATTRIBUTE | Rule.NOT_ELIGIBLE | Rule.CONDITIONAL
    )
    left, right = checker.rule_codes()
    m, n = problem.shape
    row_key = [tuple(int(c[i]) for c in left) for i in range(m)]
    col_key = [tuple(int(c[j]) for c in right) for j in range(n)]
    for a, b in itertools.combinations(range(m), 2):
        if row_key[a] == row_key[b]:
            assert np.array_equal(bits[a], bits[b])
    for a, b in itertools.combinations(range(n), 2):
        if col_key[a] == col_key[b]:
            assert np.array_equal(bits[:, a], bits[:, b])


@SETTINGS
@given(problems(max_side=3, cap=2))
def test_solutions_obey_the_rules_and_are_optimal_among_allowed_pairs(problem):
    total, allowed = oracle_scores(problem)
    result = pm.solve(problem)
    assert pm.violations(result, problem) == []
    ix, ex = problem.mentor_index(), problem.mentee_index()
    for pair in result.pairs:
        assert allowed[ix[pair.mentor_id], ex[pair.mentee_id]]
    caps = [p.max_partners for p in problem.mentors]
    best = brute_force_best(total, allowed, caps)
    assert result.objective == pytest.approx(best, abs=result.certificate.get("rounding_bound", 1e-6) + 1e-9)


@SETTINGS
@given(problems(max_side=4))
def test_an_exact_scale_makes_every_pair_total_whole(problem):
    """The scale read from the values each component can take (preferences and rank scores
    included) is exact for every pair's total, so the integer optimum is the scores' optimum."""
    scaling = scaling_for(Scorer(problem), pm.SolveParams())
    if scaling.exact:
        scaled = pm.score(problem).total * scaling.scale
        assert np.allclose(scaled, np.rint(scaled), rtol=0, atol=1e-6), (scaling.scale, scaled)


def test_preferences_and_rank_scores_take_part_in_the_exact_scale():
    """A preference weighted 0.2 and a rank score weighted 0.5 (second choice 0.25) need
    hundredths: tenths would round 0.95 and 1.0 to the same units and tie two matchings."""
    evening = {"boroughs": ["Newham"], "availability": ["Mon 18:00-20:00"]}
    mentors = [
        pm.Mentor(id="M0", max_partners=2, attributes={"sex": "female", "needs_officer_sex": "female"}, **evening),
        pm.Mentor(id="M1", attributes={"needs_officer_sex": "female"}, **evening),
    ]
    mentees = [
        pm.Mentee(id="E0", ranking=[["M0"]], **evening),
        pm.Mentee(id="E1", attributes={"sex": "female"}, ranking=[["M1"], ["M0"]], **evening),
    ]
    problem = pm.Problem(
        mentors=mentors,
        mentees=mentees,
        preferences=[Preference(name="same_sex", weight=0.2, then=Then(same=("sex",)))],
        rank_scores=[RankScore(name="mentee_choice", weight=0.5, side="mentee")],
    )
    assert scaling_for(Scorer(problem), pm.SolveParams()).scale == 100.0
    for backend in ("flow", "cpsat"):
        result = pm.solve(problem, pm.SolveParams(backend=backend))
        assert result.objective == pytest.approx(2.0)
        assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("M0", "E0"), ("M1", "E1")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems(max_side=7, cap=3), st.sampled_from(["flow", "cpsat"]))
def test_larger_instances_match_a_milp_over_allowed_pairs(problem, backend):
    total, allowed = oracle_scores(problem)
    result = pm.solve(problem, pm.SolveParams(backend=backend))
    assert pm.violations(result, problem) == []
    best = milp_best(total, allowed, [p.max_partners for p in problem.mentors])
    assert result.objective == pytest.approx(best, abs=result.certificate.get("rounding_bound", 1e-6) + 1e-6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problems(max_side=4))
def test_the_verifier_reports_every_broken_rule(problem):
    """A result built by hand that pairs ruled-out people is caught, with the rule named."""
    _, allowed = oracle_scores(problem)
    assume(not allowed.all())
    i, j = np.argwhere(~allowed)[0]
    m, e = problem.mentors[i], problem.mentees[j]
    free = problem.model_copy(update={"rules": pm.Rules()})
    forced = pm.solve(free.model_copy(update={"rules": pm.Rules(required_pairs=((m.id, e.id),))}))
    found = [v for v in pm.violations(forced, problem) if v.kind == "rule" and v.people == (m.id, e.id)]
    assert found
    bits = expected_bits(problem, m, e)
    text = " ".join(v.message for v in found)
    for rule, setting in (
        (Rule.DIFFERENT_ATTRIBUTE, "rules.require_same"),
        (Rule.NOT_ELIGIBLE, "rules.require["),
        (Rule.CONDITIONAL, "rules.conditional["),
    ):
        assert (setting in text) == bool(bits & rule)


# --- known instances -------------------------------------------------------------------------


def officer(pid: str, sex: str, topics=("knife crime",), ranking="", **attributes) -> pm.Mentee:
    return pm.Mentee(
        id=pid, focus_areas=topics, boroughs=["Newham"], attributes={"sex": sex, **attributes}, ranking=ranking
    )


def young(pid: str, topics=("knife crime",), **attributes) -> pm.Mentor:
    return pm.Mentor(id=pid, focus_areas=topics, boroughs=["Newham"], attributes={"sex": "female", **attributes})


def test_require_same_pairs_only_equal_values():
    problem = pm.Problem(
        mentors=[young("A"), young("B", sex="male")],
        mentees=[officer("X", "Male"), officer("Y", "FEMALE")],
        rules=pm.Rules(require_same=("sex",)),
    )
    result = pm.solve(problem)
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("A", "Y"), ("B", "X")}
    assert pm.explain_pair(result, "A", "X").blocked_by == (
        "different values of an attribute that must match: rules.require_same: same sex "
        "(mentor 'female', mentee 'Male')",
    )


def test_eligibility_leaves_the_ineligible_unmatched_and_says_why():
    problem = pm.Problem(
        mentors=[young("A", age=17), young("B", age=18)],
        mentees=[officer("X", "female", vetting="cleared"), officer("Y", "female", vetting="pending")],
        rules=pm.Rules(
            require=(
                Requirement(side="mentor", attribute="age", at_least=18),
                Requirement(side="mentee", attribute="vetting", equals="Cleared"),
            )
        ),
    )
    result = pm.solve(problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("B", "X")]
    assert "rules.require[0] (mentor age at least 18): mentor A has age 17" in pm.why_not(result, "A", "X")
    assert "mentee Y has vetting 'pending'" in pm.why_not(result, "B", "Y")


def test_conditional_rule_on_the_pairs_focus():
    vawg = "violence against women and girls"
    rule = PairRule(name="VAWG needs a female officer", when=When(focus=(vawg,)), then=Then(mentee=(FEMALE,)))
    problem = pm.Problem(
        mentors=[young("A", topics=(vawg,)), young("B", topics=("domestic abuse",))],
        mentees=[officer("X", "male", topics=(vawg,)), officer("Y", "female", topics=(vawg,))],
        rules=pm.Rules(conditional=(rule,)),
        weights=pm.Weights(focus=1, borough=0, availability=0),
    )
    result = pm.solve(problem)
    # A-X share VAWG but X is male: ruled out. B and X share no topic, so the rule leaves them be.
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("A", "Y"), ("B", "X")}
    assert "rules.conditional[0] (VAWG needs a female officer): mentee X needs sex = 'female'" in pm.why_not(
        result, "A", "X"
    )
    assert pm.is_feasible(result, problem)


def test_a_mentors_stated_need_is_a_link_between_attributes():
    need = PairRule(
        when=When(mentor=(Condition(attribute="needs_officer_sex", present=True),)),
        then=Then(equal=(AttributeLink(mentor="needs_officer_sex", mentee="sex"),)),
    )
    problem = pm.Problem(
        mentors=[young("A", needs_officer_sex="female"), young("B")],
        mentees=[officer("X", "male"), officer("Y", "female")],
        rules=pm.Rules(conditional=(need,)),
    )
    bits = build_candidates(problem, pm.score(problem)).blocked
    assert bits[0, 0] == Rule.CONDITIONAL
    assert bits[0, 1] == 0
    assert not bits[1].any()


def test_soft_preference_is_a_named_component_explained_per_pair():
    prefers = Preference(
        name="female_officer",
        weight=0.25,
        description="prefers a female officer",
        when=When(mentor=(Condition(attribute="prefers_female_officer", equals=True),)),
        then=Then(mentee=(FEMALE,)),
    )
    problem = pm.Problem(
        mentors=[young("A", prefers_female_officer=True), young("B", prefers_female_officer=False)],
        mentees=[officer("X", "male"), officer("Y", "female")],
        preferences=(prefers,),
    )
    result = pm.solve(problem)
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("A", "Y"), ("B", "X")}
    assert result.pairs[0].components["female_officer"] == 1.0
    assert pm.explain_pair(result, "A", "Y").facts["female_officer"] == (
        "prefers a female officer: met (mentee sex = 'female')"
    )
    assert "does not apply" in pm.explain_pair(result, "B", "X").facts["female_officer"]
    assert pm.is_feasible(result, problem)


def test_rank_score_counts_ties_as_sports_positions():
    problem = pm.Problem(
        mentors=[young("A"), young("B"), young("C")],
        mentees=[officer("X", "female", ranking="C > A = B"), officer("Y", "female")],
        rank_scores=(RankScore(name="choice", side="mentee", values=(1.0, 0.6, 0.3)),),
    )
    table = pm.score(problem)
    assert table.components["choice"][:, 0].tolist() == [0.6, 0.6, 1.0]
    assert table.components["choice"][:, 1].tolist() == [0.0, 0.0, 0.0]
    result = pm.solve(problem)
    assert ("C", "X") in {(p.mentor_id, p.mentee_id) for p in result.pairs}
    assert pm.explain_pair(result, "A", "X").facts["choice"] == "choice: X ranked A 2nd (tied)"


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        (pm.Rules(require_same=("gender",)), "rules.require_same[0]: 'gender' is not an attribute of any mentor"),
        (
            pm.Rules(require=(Requirement(side="mentee", attribute="vetting", equals="clear"),)),
            "rules.require[0].equals: no mentee has vetting = 'clear'",
        ),
        (
            pm.Rules(require=(Requirement(side="mentor", attribute="sex", at_least=18),)),
            "which is not a number",
        ),
        (
            pm.Rules(conditional=(PairRule(when=When(focus=("hate crime",)), then=Then(same=("sex",))),)),
            "no topic of it (hate crime) is one both a mentor and a mentee list",
        ),
        (
            pm.Rules(conditional=(PairRule(when=When(focus=("no such topic",)), then=Then(same=("sex",))),)),
            "'no such topic' is not a topic",
        ),
    ],
)
def test_a_rule_that_would_match_nothing_is_an_error_naming_the_setting(rules, words):
    with pytest.raises(ValidationError) as err:
        pm.Problem(mentors=[young("A")], mentees=[officer("X", "female", vetting="cleared")], rules=rules)
    assert words in str(err.value)


def test_the_nearest_real_value_is_suggested():
    with pytest.raises(ValidationError) as err:
        pm.Problem(
            mentors=[young("A")],
            mentees=[officer("X", "female", vetting="cleared")],
            rules=pm.Rules(require=(Requirement(side="mentee", attribute="vetting", equals="claered"),)),
        )
    assert "did you mean 'cleared'?" in str(err.value)


def test_diagnosis_names_the_rule_and_the_people():
    problem = pm.Problem(
        mentors=[young("A", age=17), young("B", age=19)],
        mentees=[officer("X", "female"), officer("Y", "female")],
        rules=pm.Rules(require=(Requirement(side="mentor", attribute="age", at_least=18),), match_all_mentors=True),
    )
    with pytest.raises(pm.InfeasibleProblemError) as err:
        pm.solve(problem)
    reason = next(r for r in err.value.reasons if "A" in r["people"])
    assert "rules.require[0] (mentor age at least 18)" in reason["message"]


def test_a_hall_certificate_names_the_rule_behind_it():
    rule = PairRule(
        name="DA needs a female officer",
        when=When(focus=("domestic abuse",), focus_of="either"),
        then=Then(mentee=(FEMALE,)),
    )
    problem = pm.Problem(
        mentors=[young(f"M{i}", topics=("domestic abuse",)) for i in range(3)],
        mentees=[officer("X", "male"), officer("Y", "male"), officer("Z", "female")],
        rules=pm.Rules(match_all_mentors=True, conditional=(rule,)),
    )
    (reason,) = pm.diagnose(problem)
    assert reason["rule"] == "hall_violation"
    assert reason["people"] == ["M0", "M1", "M2"]
    assert reason["rules"] == [
        "breaks a conditional rule: rules.conditional[0] (DA needs a female officer): mentee X needs sex = 'female' "
        "(has sex 'male') (6 pairs)"
    ]
