"""Public verifiers: does a result obey every rule of its problem?

The verifier is written from the *definitions* of the model, in plain
Python over the reported pairs: it never calls the solver's scoring or
candidate code and never reads ``result.context``, so a bug there cannot
hide itself. It only uses the problem's own vocabularies
(``taxonomy.relatedness``, ``geography.score`` / ``steps`` / ``unit_of``),
the availability windows and the caller's custom scores. It costs a few
operations per reported pair and per person (never one per possible pair),
so it runs on the largest programmes.

Each `Violation` has one of the kinds in `VIOLATION_KINDS`:

``unknown_id``
    A pair's first id is not a mentor of the problem, its second not a
    mentee, or an unmatched entry names nobody in the problem.
``duplicate_pair``
    The same (mentor, mentee) pair is listed more than once.
``score``
    A pair's ``score`` differs from the sum, over the components that count
    (`Problem.component_names`), of weight x value recomputed from the
    definitions: *focus* = the best ``taxonomy.relatedness`` over (mentor
    topic, mentee topic), 0 if a side lists none; *borough* = the best
    ``geography.score`` over (mentor borough, mentee borough), 0 if none;
    *availability* = ``min(1, common weekly minutes / meeting_minutes)``;
    a custom component's value from its matrix, entries (else ``default``)
    or function; a `~pairmatch.preferences.Preference` 1 when its ``when``
    and ``then`` hold, else 0; a `~pairmatch.preferences.RankScore` the
    value of the rank the ranking person gave the other (``values[rank - 1]``,
    default ``1 / rank``; ``unranked`` when not ranked or past ``values``).
``component``
    A pair's ``components`` do not name exactly the components that count,
    a value differs from its definition, or a ``contributions`` entry is not
    weight x value.
``rule``
    A pair breaks a hard rule of ``problem.rules``: forbidden pair, score
    below ``min_score``, no related focus area (``require_focus_overlap``),
    fewer common minutes than ``min_overlap_minutes``, closest boroughs more
    than ``max_borough_steps`` borders apart (unconnected or no borough on
    a side counts as infinitely far), the same value of a ``forbid_same``
    attribute (``"borough"``: a shared borough; ``"bcu"``: boroughs in the
    same policing unit), not the same value of a ``require_same`` attribute
    (a missing value equals nothing), someone failing a ``require``
    condition, or a ``conditional`` rule whose ``when`` holds and ``then``
    fails. Values compare as `pairmatch.conditions.value_key` says (text
    without regard to case).
``capacity``
    Someone's number of distinct partners is outside
    ``[lo, max_partners]``, where ``lo`` is ``min_partners``, raised to 1 by
    ``match_all_mentors`` / ``match_all_mentees`` unless ``max_partners`` is 0.
``required_pair_missing``
    A pair of ``rules.required_pairs`` is not in the result.
``pinned_flag``
    A required pair is not flagged ``pinned``, or a pair flagged ``pinned``
    is not required.
``quota``
    A group of a `Quota` has fewer than ``min_pairs`` pairs, more than
    ``max_pairs``, or more than ``max_share`` of all pairs (exact fractions).
    A pair's group is its ``side`` person's attribute value (as text), or
    first focus area (``"focus"``), first borough (``"borough"``) or unit of
    the first borough (``"bcu"``).
``objective``
    ``objective`` differs from the sum of the reported pair scores.
``unmatched_list``
    ``unmatched`` is not exactly everyone with no partner, each once and
    on the right side.
``certificate``
    Status ``optimal`` without a ``proof`` in the certificate, or an
    ``integer_objective`` that is not the total of every pair's score
    (pinned pairs included) in the certificate's integer units.
``status``
    Status other than ``optimal`` or ``feasible``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .availability import SLOT_MINUTES, window_slots
from .conditions import PLACE_KEYS, value_key, value_words
from .constraints import Rule
from .custom_scores import BUILT_IN_COMPONENTS, CustomScore, PeopleTable
from .models import Mentee, Mentor, Person, Problem, Quota
from .result import MatchResult, Pair

__all__ = ["MIN_SCORE_TOLERANCE", "SCORE_TOLERANCE", "VIOLATION_KINDS", "Violation", "is_feasible", "violations"]

VIOLATION_KINDS = (
    "unknown_id",
    "duplicate_pair",
    "score",
    "component",
    "rule",
    "capacity",
    "required_pair_missing",
    "pinned_flag",
    "quota",
    "objective",
    "unmatched_list",
    "certificate",
    "status",
)

# Relative: two scores agree when they differ by at most this times the problem's score scale
# (the largest score its definitions allow) or the larger of the two, so tiny and huge scores
# are checked alike.
SCORE_TOLERANCE = 1e-9

# The verifier's own slack for a pair at the minimum score, relative to the same scale. It is
# not the solver's (`pairmatch.constraints` keeps its own, tighter one): it only has to absorb
# float noise, and any pair further below the minimum is reported.
MIN_SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    kind : str
        Machine-readable kind, one of `VIOLATION_KINDS`.
    people : tuple of str
        Ids of the people involved (a pair's mentor and mentee, one person,
        or none for a result-wide problem).
    message : str
        What is wrong, naming the people and the rule.

    Examples
    --------
    >>> Violation("capacity", ("M1",), "M1 has 2 partners; allowed 0..1")
    Violation(kind='capacity', people=('M1',), message='M1 has 2 partners; allowed 0..1')
    """

    kind: str
    people: tuple[str, ...]
    message: str


def _close(reported: float, expected: float, tolerance: float, scale: float) -> bool:
    return abs(reported - expected) <= tolerance * max(scale, abs(reported), abs(expected))


def _group(problem: Problem, person: Person, key: str) -> str | None:
    """The quota group of a person for ``key`` (None when undefined); restated from the
    definition rather than imported from `pairmatch.constraints`, which it checks."""
    if key == "focus":
        return person.focus_areas[0] if person.focus_areas else None
    if key == "borough":
        return person.boroughs[0] if person.boroughs else None
    if key == "bcu":
        return problem.geography.unit_of.get(person.boroughs[0]) if person.boroughs else None
    value = person.attributes.get(key)
    return None if value is None else str(value)


class _Definitions:
    """The model's definitions, evaluated for one pair at a time."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.weights = problem.component_weights()
        # Later entries win, as when a dict is built from the triples.
        self.entries = {s.name: {(m, e): v for m, e, v in s.entries} for s in problem.scores if s.entries is not None}
        for s in problem.scores:
            if s.arcs is not None:  # positions in the problem's order, read as ids
                rows, cols, values = (part.tolist() for part in s.arcs)
                mentor_ids, mentee_ids = [p.id for p in problem.mentors], [p.id for p in problem.mentees]
                self.entries[s.name] = {
                    (mentor_ids[i], mentee_ids[j]): v for i, j, v in zip(rows, cols, values, strict=True)
                }
        # The largest score the definitions allow: built-ins are at most 1, custom ones their bound.
        own = (*problem.preferences, *problem.rank_scores)
        self.bounds = {
            **dict.fromkeys(BUILT_IN_COMPONENTS, 1.0),
            **{c.name: c.upper_bound for c in own},
            **{s.name: s.upper_bound for s in problem.scores},
        }
        self.scale = math.fsum(weight * self.bounds[name] for name, weight in self.weights.items())

    def focus(self, mentor: Person, mentee: Person) -> float:
        tax = self.problem.taxonomy
        return max((tax.relatedness(a, b) for a in mentor.focus_areas for b in mentee.focus_areas), default=0.0)

    def borough(self, mentor: Person, mentee: Person) -> float:
        geo = self.problem.geography
        return max((geo.score(a, b) for a in mentor.boroughs for b in mentee.boroughs), default=0.0)

    @staticmethod
    def common_minutes(mentor: Person, mentee: Person) -> int:
        return len(window_slots(mentor.availability) & window_slots(mentee.availability)) * SLOT_MINUTES

    def availability(self, mentor: Person, mentee: Person) -> float:
        return min(1.0, self.common_minutes(mentor, mentee) / self.problem.meeting_minutes)

    def custom(self, component: CustomScore, mentor: Mentor, mentee: Mentee, i: int, j: int) -> float:
        if component.matrix is not None:
            return float(component.matrix[i, j])
        if component.name in self.entries:
            return float(self.entries[component.name].get((mentor.id, mentee.id), component.default))
        assert component.function is not None
        one_mentor, one_mentee = PeopleTable.of([mentor], np.array([i])), PeopleTable.of([mentee], np.array([j]))
        value = np.asarray(component.function(one_mentor, one_mentee), dtype=np.float64)
        if value.size != 1:
            raise ValueError(f"score function {component.name!r} returned shape {value.shape} for one pair")
        return float(value.reshape(-1)[0])

    def components(self, mentor: Mentor, mentee: Mentee, i: int, j: int) -> dict[str, float]:
        """Every component that counts, then every built-in (rules read them even at weight 0)."""
        out = {
            "focus": self.focus(mentor, mentee),
            "borough": self.borough(mentor, mentee),
            "availability": self.availability(mentor, mentee),
        }
        unit_of = self.problem.geography.unit_of
        for preference in self.problem.preferences:
            out[preference.name] = preference.value(mentor, mentee, unit_of)
        for rank_score in self.problem.rank_scores:
            out[rank_score.name] = rank_score.value(mentor, mentee)
        for component in self.problem.scores:
            out[component.name] = self.custom(component, mentor, mentee, i, j)
        return out

    def total(self, values: dict[str, float]) -> float:
        return sum(weight * values[name] for name, weight in self.weights.items())

    def closest_steps(self, mentor: Person, mentee: Person) -> float:
        geo = self.problem.geography
        steps = [geo.steps(a, b) for a in mentor.boroughs for b in mentee.boroughs]
        return min((s for s in steps if s >= 0), default=math.inf)

    def same(self, name: str, mentor: Person, mentee: Person) -> str | None:
        """How the pair shares ``name`` (words for the message), or None when it does not."""
        if name == "borough":
            shared = [b for b in mentor.boroughs if b in mentee.boroughs]
            return f"both list {shared[0]}" if shared else None
        if name == "bcu":
            unit_of = self.problem.geography.unit_of
            theirs = {unit_of[b] for b in mentee.boroughs if b in unit_of}
            shared = [unit_of[b] for b in mentor.boroughs if b in unit_of and unit_of[b] in theirs]
            return f"both in {self.problem.geography.unit_name} {shared[0]}" if shared else None
        if name in mentor.attributes and name in mentee.attributes:
            a, b = mentor.attributes[name], mentee.attributes[name]
            if value_key(a) == value_key(b):
                return f"both have {name} = {a!r}" if a == b else f"{name} {a!r} and {b!r}"
        return None


def _who(problem: Problem, person_id: str) -> str:
    try:
        return problem.person(person_id).label
    except KeyError:
        return repr(person_id)


def _pair_words(problem: Problem, key: tuple[str, str]) -> str:
    return f"{_who(problem, key[0])} with {_who(problem, key[1])}"


def _rule_violations(
    problem: Problem,
    definitions: _Definitions,
    key: tuple[str, str],
    mentor: Mentor,
    mentee: Mentee,
    values: dict[str, float],
    total: float,
    forbidden: set[tuple[str, str]],
) -> Iterable[Violation]:
    rules, pair = problem.rules, _pair_words(problem, key)

    def broken(rule: Rule, detail: str) -> Violation:
        return Violation("rule", key, f"{pair} breaks a hard rule: {rule.describe()} ({detail})")

    if key in forbidden:
        yield broken(Rule.FORBIDDEN, "listed in rules.forbidden_pairs")
    for k, component in enumerate(problem.scores):
        if component.only_listed and key not in definitions.entries[component.name]:
            yield broken(Rule.NOT_LISTED, f"scores[{k}] ({component.name!r}) lists the only candidate pairs")
    if rules.min_score is not None and total < rules.min_score - MIN_SCORE_TOLERANCE * max(
        abs(rules.min_score), definitions.scale
    ):
        yield broken(Rule.MIN_SCORE, f"score {total:.6g} < rules.min_score {rules.min_score:g}")
    if rules.require_focus_overlap and values["focus"] <= 0:
        yield broken(Rule.NO_FOCUS_OVERLAP, "rules.require_focus_overlap")
    if rules.min_overlap_minutes:
        minutes = definitions.common_minutes(mentor, mentee)
        if minutes < rules.min_overlap_minutes:
            yield broken(
                Rule.TOO_LITTLE_OVERLAP,
                f"{minutes} common minutes a week < rules.min_overlap_minutes {rules.min_overlap_minutes}",
            )
    if rules.max_borough_steps is not None:
        steps = definitions.closest_steps(mentor, mentee)
        if steps > rules.max_borough_steps:
            apart = "no connected boroughs" if math.isinf(steps) else f"closest boroughs {int(steps)} borders apart"
            yield broken(Rule.TOO_FAR, f"{apart} > rules.max_borough_steps {rules.max_borough_steps}")
    for rule, detail in _attribute_rule_violations(problem, definitions, mentor, mentee):
        yield broken(rule, detail)


def _attribute_rule_violations(
    problem: Problem, definitions: _Definitions, mentor: Mentor, mentee: Mentee
) -> Iterable[tuple[Rule, str]]:
    """The rules on attributes a pair breaks (must differ, must match, eligibility, conditional)."""
    rules = problem.rules
    for name in rules.forbid_same:
        how = definitions.same(name, mentor, mentee)
        if how is not None:
            yield Rule.SAME_ATTRIBUTE, f"{how}; rules.forbid_same includes {name!r}"
    for name in rules.require_same:
        if definitions.same(name, mentor, mentee) is None:
            has = f"mentor {value_words(mentor, name)}, mentee {value_words(mentee, name)}"
            if name in PLACE_KEYS:
                has = f"no shared {name}"
            yield Rule.DIFFERENT_ATTRIBUTE, f"{has}; rules.require_same includes {name!r}"
    for k, requirement in enumerate(rules.require):
        person = mentor if requirement.side == "mentor" else mentee
        if not requirement.holds_for(person):
            has = value_words(person, requirement.attribute)
            yield Rule.NOT_ELIGIBLE, f"rules.require[{k}]: {requirement.describe()}, but {person.id} has {has}"
    for k, pair_rule in enumerate(rules.conditional):
        failures = pair_rule.failures(mentor, mentee, problem.geography.unit_of)
        if failures:
            yield Rule.CONDITIONAL, f"rules.conditional[{k}] ({pair_rule.label}): {'; '.join(failures)}"


def _score_violations(
    definitions: _Definitions,
    problem: Problem,
    pair: Pair,
    key: tuple[str, str],
    values: dict[str, float],
    total: float,
    tolerance: float,
) -> Iterable[Violation]:
    words = _pair_words(problem, key)
    if not _close(pair.score, total, tolerance, definitions.scale):
        yield Violation("score", key, f"{words} reports score {pair.score!r} but its components give {total!r}")
    counting = tuple(definitions.weights)
    missing = [n for n in counting if n not in pair.components]
    extra = [n for n in pair.components if n not in definitions.weights]
    if missing or extra:
        yield Violation(
            "component",
            key,
            f"{words} should report components {', '.join(counting)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; does not count {', '.join(map(str, extra))}" if extra else ""),
        )
    for name in counting:
        if name in pair.components and not _close(
            pair.components[name], values[name], tolerance, definitions.bounds[name]
        ):
            yield Violation(
                "component",
                key,
                f"{words} reports {name} = {pair.components[name]!r} but its definition gives {values[name]!r}",
            )
    for name, weight in definitions.weights.items():
        expected = weight * values[name]
        if name not in pair.contributions:
            yield Violation("component", key, f"{words} has no contribution for {name}")
        elif not _close(pair.contributions[name], expected, tolerance, definitions.scale):
            yield Violation(
                "component",
                key,
                f"{words} reports a {name} contribution of "
                f"{pair.contributions[name]!r}; weight {weight:g} x value "
                f"{values[name]!r} = {expected!r}",
            )
    stray = [n for n in pair.contributions if n not in definitions.weights]
    if stray:
        yield Violation(
            "component", key, f"{words} reports contributions of {', '.join(map(str, stray))}, which do not count"
        )


def _quota_violations(problem: Problem, quota: Quota, ends: Sequence[Person], n_pairs: int) -> Iterable[Violation]:
    """``ends`` holds the ``quota.side`` person of every (distinct, known) pair."""
    side = problem.mentors if quota.side == "mentor" else problem.mentees
    if quota.value is not None:
        groups = [quota.value]
    else:
        groups = sorted({g for g in (_group(problem, p, quota.key) for p in side) if g is not None})
    inside = Counter(_group(problem, p, quota.key) for p in ends)
    share = quota.share
    for group in groups:
        count = inside[group]
        broken = []
        if count < quota.min_pairs:
            broken.append(f"fewer than {quota.min_pairs}")
        if quota.max_pairs is not None and count > quota.max_pairs:
            broken.append(f"more than {quota.max_pairs}")
        if share is not None and Fraction(count) > share * n_pairs:
            broken.append(f"more than {quota.max_share:.0%} of {n_pairs}")
        if broken:
            yield Violation(
                "quota",
                (),
                f"quota '{quota.describe(group)}' is broken: {count} pairs for "
                f"{quota.key} = {group!r}, {' and '.join(broken)}",
            )


def violations(result: MatchResult, problem: Problem, *, tolerance: float = SCORE_TOLERANCE) -> list[Violation]:
    """Every way ``result`` breaks the definitions and rules of ``problem``.

    Recomputes each reported pair's components and score from the problem
    itself (never from the solver's arrays) and checks ids, duplicates, hard
    rules, capacities, pinned pairs, quotas, objective, the unmatched list
    and the certificate. The kinds are listed in `VIOLATION_KINDS`.

    Parameters
    ----------
    result : MatchResult
        Any result, from `solve` or built by hand (``context`` is not read).
    problem : Problem
        The problem the result claims to solve.
    tolerance : float
        Relative tolerance on scores, components and the objective, times
        the problem's score scale (the largest score its definitions allow;
        for a component, its own largest value) or the larger magnitude.
        Results read back from files carry ``SCORE_DECIMALS`` decimals, so
        pass about ``1e-6`` for those.

    Returns
    -------
    list of Violation
        Empty when the result is feasible and every number is right; in
        order: per pair, then per person, pinned pairs, quotas, result-wide.

    Examples
    --------
    >>> import dataclasses
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> problem = pilot_problem()
    >>> result = solve(problem)
    >>> violations(result, problem)
    []
    >>> wrong = dataclasses.replace(result, objective=result.objective + 1)
    >>> [v.kind for v in violations(wrong, problem)]
    ['objective']
    """
    out: list[Violation] = []
    definitions = _Definitions(problem)
    counts, known = _sort_pairs(result, problem, out)
    out.extend(_pair_violations(problem, definitions, known, tolerance))
    for key, count in counts.items():
        if count > 1:
            out.append(Violation("duplicate_pair", key, f"{_pair_words(problem, key)} is listed {count} times"))
    partners: Counter[str] = Counter(pid for key in known for pid in key)
    out.extend(_capacity_violations(problem, partners))
    out.extend(_pin_violations(problem, known))
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    for quota in problem.rules.quotas:
        ends = [
            problem.mentors[mentor_ix[m]] if quota.side == "mentor" else problem.mentees[mentee_ix[e]] for m, e in known
        ]
        out.extend(_quota_violations(problem, quota, ends, len(known)))
    out.extend(_objective_violations(result, tolerance, definitions.scale))
    out.extend(_unmatched_violations(result, problem, partners))
    if result.status not in ("optimal", "feasible"):
        out.append(Violation("status", (), f"status {result.status!r} is neither 'optimal' nor 'feasible'"))
    if result.status == "optimal" and not result.certificate.get("proof"):
        out.append(Violation("certificate", (), "status is 'optimal' but the certificate holds no proof"))
    out.extend(_integer_objective_violations(result))
    return out


PairKey = tuple[str, str]


def _sort_pairs(
    result: MatchResult, problem: Problem, out: list[Violation]
) -> tuple[Counter[PairKey], dict[PairKey, list[Pair]]]:
    """How often each pair is listed, and the listed pairs of known people (every copy);
    pairs naming someone outside the problem go to ``out``."""
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    counts: Counter[PairKey] = Counter()
    known: dict[PairKey, list[Pair]] = {}
    for pair in result.pairs:
        key = (pair.mentor_id, pair.mentee_id)
        counts[key] += 1
        if counts[key] > 1:
            if key in known:
                known[key].append(pair)
            continue
        unknown = [
            f"{pid!r} is not a {side} of this problem"
            for pid, side, index in ((key[0], "mentor", mentor_ix), (key[1], "mentee", mentee_ix))
            if pid not in index
        ]
        if unknown:
            out.append(Violation("unknown_id", key, f"pair {key}: {'; '.join(unknown)}"))
            continue
        known[key] = [pair]
    return counts, known


def _pair_violations(
    problem: Problem, definitions: _Definitions, known: dict[PairKey, list[Pair]], tolerance: float
) -> Iterable[Violation]:
    """Scores, components and hard rules of every listed pair, from the definitions."""
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    forbidden: set[PairKey] = {(a, b) for a, b in problem.rules.forbidden_pairs}
    for key, same_pairs in known.items():
        i, j = mentor_ix[key[0]], mentee_ix[key[1]]
        mentor, mentee = problem.mentors[i], problem.mentees[j]
        values = definitions.components(mentor, mentee, i, j)
        total = definitions.total(values)
        for pair in same_pairs:
            yield from _score_violations(definitions, problem, pair, key, values, total, tolerance)
        yield from _rule_violations(problem, definitions, key, mentor, mentee, values, total, forbidden)


def _capacity_violations(problem: Problem, partners: Counter[str]) -> Iterable[Violation]:
    rules = problem.rules
    for side, people, everyone in (
        ("mentor", problem.mentors, rules.match_all_mentors),
        ("mentee", problem.mentees, rules.match_all_mentees),
    ):
        for person in people:
            lo = max(person.min_partners, min(1, person.max_partners)) if everyone else person.min_partners
            n = partners[person.id]
            if not lo <= n <= person.max_partners:
                why = f"match_all_{side}s" if everyone and lo > person.min_partners else "min_partners"
                yield Violation(
                    "capacity",
                    (person.id,),
                    f"{side} {person.label} has {n} partner{'s' * (n != 1)}; allowed "
                    f"{lo}..{person.max_partners} ({why} {lo}, max_partners {person.max_partners})",
                )


def _pin_violations(problem: Problem, known: dict[PairKey, list[Pair]]) -> Iterable[Violation]:
    required = dict.fromkeys((a, b) for a, b in problem.rules.required_pairs)
    for key in required:
        if key not in known:
            yield Violation(
                "required_pair_missing",
                key,
                f"{_pair_words(problem, key)} is in rules.required_pairs but not in the result",
            )
        elif not any(p.pinned for p in known[key]):
            yield Violation(
                "pinned_flag", key, f"{_pair_words(problem, key)} is in rules.required_pairs but not flagged pinned"
            )
    for key, same_pairs in known.items():
        if key not in required and any(p.pinned for p in same_pairs):
            yield Violation(
                "pinned_flag", key, f"{_pair_words(problem, key)} is flagged pinned but is not in rules.required_pairs"
            )


def _objective_violations(result: MatchResult, tolerance: float, score_scale: float) -> Iterable[Violation]:
    scores = [p.score for p in result.pairs]
    objective = math.fsum(scores)
    # Each pair's score carries its own rounding (six decimals when read from a file).
    scale = max(score_scale * max(1, len(scores)), math.fsum(abs(s) for s in scores))
    if not _close(result.objective, objective, tolerance, scale):
        yield Violation(
            "objective", (), f"objective {result.objective!r} differs from the sum of the pair scores {objective!r}"
        )


def _integer_objective_violations(result: MatchResult) -> Iterable[Violation]:
    """The certificate's ``integer_objective`` is the sum over every pair (pinned included) of the
    pair's score in integer units, ``round(score * scale)``. Reported scores carry six decimals, so
    each pair may differ by half a unit plus that rounding."""
    certificate = result.certificate
    integer, scale = certificate.get("integer_objective"), certificate.get("scale")
    if integer is None or not scale:
        return
    expected = math.fsum(p.score for p in result.pairs) * float(scale)
    slack = len(result.pairs) * (0.5 + 0.5e-6 * float(scale)) + 1e-6 * abs(expected)
    if abs(float(integer) - expected) > slack + 1:
        yield Violation(
            "certificate",
            (),
            f"integer_objective {integer} is not the pairs' total in integer units ({expected:.1f} within {slack:.1f})",
        )


def _unmatched_violations(result: MatchResult, problem: Problem, partners: Counter[str]) -> Iterable[Violation]:
    listed = Counter(u.person_id for u in result.unmatched)
    for entry in result.unmatched:
        if entry.person_id not in problem.mentor_index() and entry.person_id not in problem.mentee_index():
            yield Violation(
                "unknown_id", (entry.person_id,), f"unmatched entry {entry.person_id!r} names nobody in this problem"
            )
    sides: dict[str, set[Any]] = {}
    for entry in result.unmatched:
        sides.setdefault(entry.person_id, set()).add(entry.side)
    for side, people in (("mentor", problem.mentors), ("mentee", problem.mentees)):
        for person in people:
            n, times = partners[person.id], listed[person.id]
            if n == 0 and times == 0:
                yield Violation(
                    "unmatched_list",
                    (person.id,),
                    f"{side} {person.label} has no partner but is not listed as unmatched",
                )
            elif n > 0 and times > 0:
                yield Violation(
                    "unmatched_list",
                    (person.id,),
                    f"{side} {person.label} has {n} partner{'s' * (n != 1)} but is listed as unmatched",
                )
            elif times > 1:
                yield Violation(
                    "unmatched_list", (person.id,), f"{side} {person.label} is listed as unmatched {times} times"
                )
            if times and sides[person.id] != {side}:
                wrong = ", ".join(sorted(map(repr, sides[person.id] - {side})))
                yield Violation(
                    "unmatched_list", (person.id,), f"{side} {person.label} is listed as unmatched with side {wrong}"
                )


def is_feasible(result: MatchResult, problem: Problem, *, tolerance: float = SCORE_TOLERANCE) -> bool:
    """True when `violations` finds nothing.

    Examples
    --------
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> problem = pilot_problem()
    >>> is_feasible(solve(problem), problem)
    True
    """
    return not violations(result, problem, tolerance=tolerance)
