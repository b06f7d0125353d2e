"""Hard rules as structure: which pairs are candidates, which are pinned, capacities.

Every rule that removes a pair sets one bit in ``Candidates.blocked``
(``uint16``), so an explanation can say exactly which rules removed a pair
(`rule_details` names the very rule and person). Nothing here is a penalty:
a blocked pair is simply not an arc of the solver's graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag
from typing import Protocol, runtime_checkable

import numpy as np

from .conditions import Then, When, value_words
from .custom_scores import CustomScore
from .models import Person, Problem, Quota
from .scoring import Scorer, ScoreTable, profile_matrix
from .scoring.levels import Index
from .scoring.pairtests import PairTest, attribute_codes, condition_mask

__all__ = [
    "BITS",
    "PAIR_RULES",
    "CandidateView",
    "Candidates",
    "LazyCandidates",
    "Rule",
    "RuleChecker",
    "RuleTypes",
    "bounds_after_pins",
    "build_candidates",
    "lazy_candidates",
    "min_score_slack",
    "minimum_partners",
    "quota_groups",
    "quota_key",
    "required_indices",
    "rule_details",
    "rule_names",
    "ruling_out",
]


class Rule(IntFlag):
    """Why a pair is not a candidate (bits of ``Candidates.blocked``)."""

    FORBIDDEN = 1
    MIN_SCORE = 2
    NO_FOCUS_OVERLAP = 4
    TOO_LITTLE_OVERLAP = 8
    TOO_FAR = 16
    SAME_ATTRIBUTE = 32
    DIFFERENT_ATTRIBUTE = 64
    NOT_ELIGIBLE = 128
    CONDITIONAL = 256
    NOT_LISTED = 512

    def describe(self) -> str:
        """The reason in words, e.g. ``boroughs too far apart``."""
        return RULE_TEXT[self]


RULE_TEXT = {
    Rule.FORBIDDEN: "forbidden pair",
    Rule.MIN_SCORE: "score below the minimum",
    Rule.NO_FOCUS_OVERLAP: "no shared or related focus area",
    Rule.TOO_LITTLE_OVERLAP: "too little common availability",
    Rule.TOO_FAR: "boroughs too far apart",
    Rule.SAME_ATTRIBUTE: "same value of an attribute that must differ",
    Rule.DIFFERENT_ATTRIBUTE: "different values of an attribute that must match",
    Rule.NOT_ELIGIBLE: "someone does not meet a requirement",
    Rule.CONDITIONAL: "breaks a conditional rule",
    Rule.NOT_LISTED: "not a listed pair",
}

# The dtype of rule bits everywhere (``Candidates.blocked``, `RuleChecker.block`).
BITS = np.uint16


PAIR_RULES = Rule.FORBIDDEN | Rule.MIN_SCORE | Rule.NOT_LISTED
"""Rules decided pair by pair (a listed pair, the pair's combined score). Every other rule is
decided by the two people's rule types (`RuleChecker.person_types`)."""


def rule_names(bits: int) -> list[str]:
    """Readable names of the rules set in ``bits``."""
    return [RULE_TEXT[r] for r in Rule if bits & r]


def rule_details(problem: Problem, i: int, j: int, bits: int) -> list[str]:
    """The rules set in ``bits`` for pair (mentor ``i``, mentee ``j``), each in words; the
    must-match, eligibility and conditional rules name the setting, the rule and the person.

    >>> from pairmatch import Mentee, Mentor, Problem, Rules
    >>> from pairmatch.conditions import Requirement
    >>> p = Problem(mentors=[Mentor(id="M1", attributes={"age": 17})], mentees=[Mentee(id="O1")],
    ...             rules=Rules(require=[Requirement(side="mentor", attribute="age", at_least=18)]))
    >>> rule_details(p, 0, 0, int(Rule.NOT_ELIGIBLE))
    ['someone does not meet a requirement: rules.require[0] (mentor age at least 18): mentor M1 has age 17']
    """
    mentor, mentee = problem.mentors[i], problem.mentees[j]
    rules, unit_of = problem.rules, problem.geography.unit_of
    out = []
    for rule in Rule:
        if not bits & rule:
            continue
        words = [RULE_TEXT[rule]]
        if rule == Rule.DIFFERENT_ATTRIBUTE:
            words += [
                f"rules.require_same: {f}" for f in Then(same=rules.require_same).failures(mentor, mentee, unit_of)
            ]
        elif rule == Rule.NOT_ELIGIBLE:
            for k, req in enumerate(rules.require):
                person = mentor if req.side == "mentor" else mentee
                if not req.holds_for(person):
                    has = value_words(person, req.attribute)
                    words.append(f"rules.require[{k}] ({req.describe()}): {req.side} {person.id} has {has}")
        elif rule == Rule.NOT_LISTED:
            words += [
                f"scores[{k}] ({c.name!r}, only its listed pairs) does not list {mentor.id} with {mentee.id}"
                for k, c in enumerate(problem.scores)
                if c.only_listed and _unlisted(problem, c, i, j)
            ]
        elif rule == Rule.CONDITIONAL:
            for k, pair_rule in enumerate(rules.conditional):
                failures = pair_rule.failures(mentor, mentee, unit_of)
                if failures:
                    words.append(f"rules.conditional[{k}] ({pair_rule.label}): {'; '.join(failures)}")
        out.append(f"{words[0]}: {'; '.join(words[1:])}" if len(words) > 1 else words[0])
    return out


def _unlisted(problem: Problem, component: CustomScore, i: int, j: int) -> bool:
    """True when ``component`` does not list the pair (mentor ``i``, mentee ``j``)."""
    if component.arcs is not None:
        rows, cols, _ = component.arcs
        return not bool(np.any((rows == i) & (cols == j)))
    mentor_id, mentee_id = problem.mentors[i].id, problem.mentees[j].id
    return not any(m == mentor_id and e == mentee_id for m, e, _ in component.entries or ())


def ruling_out(problem: Problem, side: str, k: int, bits: np.ndarray) -> list[str]:
    """The rules that rule out pairs of one person (mentor or mentee ``k``, whose rule bits
    with everyone on the other side are ``bits``), each in words naming the setting and the
    people (from the first pair it rules out), with how many partners it rules out, most first."""
    other = "mentee" if side == "mentor" else "mentor"
    found = []
    present = int(np.bitwise_or.reduce(bits, initial=BITS(0)))  # one pass; then only the rules present
    for rule in Rule:
        if not present & rule:
            continue
        hit = np.flatnonzero(bits & BITS(rule))
        if not len(hit):
            continue
        i, j = (k, int(hit[0])) if side == "mentor" else (int(hit[0]), k)
        detail = rule_details(problem, i, j, int(rule))[0]
        found.append((len(hit), f"{detail} ({len(hit)} {other}{'s' if len(hit) != 1 else ''})"))
    return [text for _, text in sorted(found, key=lambda item: -item[0])]


@runtime_checkable
class CandidateView(Protocol):
    """What every consumer of the candidate graph may read: pins, capacities and
    the rule bits of any pair, row or column."""

    @property
    def required(self) -> tuple[tuple[int, int], ...]:
        """Pinned pairs as (mentor row, mentee column)."""
        ...

    @property
    def mentor_min(self) -> np.ndarray:
        """Each mentor's lower bound on partners (``match_all_mentors`` included)."""
        ...

    @property
    def mentor_max(self) -> np.ndarray:
        """Each mentor's ``max_partners``."""
        ...

    @property
    def mentee_min(self) -> np.ndarray:
        """Each mentee's lower bound on partners."""
        ...

    @property
    def mentee_max(self) -> np.ndarray:
        """Each mentee's ``max_partners``."""
        ...

    def blocked_rows(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentors ``index`` with every mentee: ``(len(index), n_mentees)`` uint16."""
        ...

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentees ``index`` with every mentor: ``(len(index), n_mentors)`` uint16."""
        ...

    def blocked_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Rule bits of the pairs ``(rows[k], cols[k])``."""
        ...

    def free_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Capacity bounds left for the solver once the pinned pairs are placed."""
        ...


@dataclass(frozen=True)
class Candidates:
    """The solver's graph, in memory: allowed arcs, pinned pairs, capacity bounds.

    ``blocked[i, j]`` is 0 for a candidate pair, else the OR of the `Rule`
    bits that removed it. ``required`` lists pinned (mentor, mentee) indices.
    """

    blocked: np.ndarray
    required: tuple[tuple[int, int], ...]
    mentor_min: np.ndarray
    mentor_max: np.ndarray
    mentee_min: np.ndarray
    mentee_max: np.ndarray

    @property
    def allowed(self) -> np.ndarray:
        """Boolean table of the candidate pairs (no rule bit set)."""
        return self.blocked == 0

    def blocked_rows(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentors ``index`` with every mentee: ``(len(index), n_mentees)`` uint16."""
        return self.blocked[np.asarray(index, dtype=np.int64)]

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentees ``index`` with every mentor: ``(len(index), n_mentors)`` uint16."""
        return self.blocked[:, np.asarray(index, dtype=np.int64)].T

    def blocked_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Rule bits of the pairs ``(rows[k], cols[k])``."""
        return self.blocked[rows, cols]

    def free_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Capacity bounds left for the solver once the pinned pairs are placed."""
        return bounds_after_pins(self.required, self.mentor_min, self.mentor_max, self.mentee_min, self.mentee_max)


@dataclass(frozen=True)
class LazyCandidates:
    """`CandidateView` whose rule bits are computed on demand (the sparse path's
    results), through the same `Scorer` and `RuleChecker` as the dense table."""

    scorer: Scorer
    checker: RuleChecker
    required: tuple[tuple[int, int], ...]
    mentor_min: np.ndarray
    mentor_max: np.ndarray
    mentee_min: np.ndarray
    mentee_max: np.ndarray

    def blocked_rows(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentors ``index`` with every mentee, computed now: ``(len(index), n_mentees)`` uint16."""
        rows = np.asarray(index, dtype=np.int64)
        if not self.checker.active:
            return np.zeros((len(rows), self.checker.shape[1]), dtype=BITS)
        bits = self.checker.typed_rows(rows)
        total = self.scorer.totals(rows) if self.checker.rules.min_score is not None else None
        bits |= self.checker.pair_block(rows, slice(None), bits.shape, total)
        return bits

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentees ``index`` with every mentor, computed now: ``(len(index), n_mentors)`` uint16."""
        cols = np.asarray(index, dtype=np.int64)
        if not self.checker.active:
            return np.zeros((len(cols), self.checker.shape[0]), dtype=BITS)
        bits = self.checker.typed_cols(cols)
        total = self.scorer.totals(slice(None), cols) if self.checker.rules.min_score is not None else None
        bits |= self.checker.pair_block(slice(None), cols, bits.shape[::-1], total).T
        return bits

    def blocked_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Rule bits of the pairs ``(rows[k], cols[k])``, computed pair by pair."""
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        out = np.empty(len(rows), dtype=BITS)
        for k in range(len(rows)):  # explanations ask for a handful of pairs
            r, c = rows[k : k + 1], cols[k : k + 1]
            out[k] = self.checker.block(r, c, self.scorer.block(r, c))[0, 0]
        return out

    def free_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Capacity bounds left for the solver once the pinned pairs are placed."""
        return bounds_after_pins(self.required, self.mentor_min, self.mentor_max, self.mentee_min, self.mentee_max)


def bounds_after_pins(
    required: Sequence[tuple[int, int]],
    mentor_min: np.ndarray,
    mentor_max: np.ndarray,
    mentee_min: np.ndarray,
    mentee_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(mentor_lo, mentor_hi, mentee_lo, mentee_hi)`` after each pinned pair takes one
    place on both sides. Lower bounds stop at 0; an upper bound goes negative when
    pins overfill someone, which the caller reports."""
    pins = np.array(required, dtype=np.int64).reshape(-1, 2)
    taken_m = np.bincount(pins[:, 0], minlength=len(mentor_max))
    taken_e = np.bincount(pins[:, 1], minlength=len(mentee_max))
    return (
        np.maximum(mentor_min - taken_m, 0),
        mentor_max - taken_m,
        np.maximum(mentee_min - taken_e, 0),
        mentee_max - taken_e,
    )


def _attribute_codes(mentors: Sequence[Person], mentees: Sequence[Person], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of both sides' values of attribute ``name``, from one shared
    table so equal values get equal codes; a missing value never equals anything."""
    return attribute_codes(mentors, mentees, name, name)


@dataclass(frozen=True)
class RuleTypes:
    """People grouped by what the rules read: every rule outside `PAIR_RULES` gives the
    same bits to all pairs of one (mentor type, mentee type).

    Attributes
    ----------
    mentor, mentee : ndarray of int64
        Rule type of each mentor / mentee (``0 .. count - 1``).
    mentor_first, mentee_first : ndarray of int64
        One representative person of each type.

    Examples
    --------
    >>> from pairmatch.examples import pilot_problem
    >>> from pairmatch.scoring import Scorer
    >>> problem = pilot_problem()
    >>> types = RuleChecker(problem, Scorer(problem)).person_types()
    >>> types.mentor.tolist(), types.n_mentor_types  # no rule: one type a side
    ([0, 0, 0], 1)
    """

    mentor: np.ndarray
    mentee: np.ndarray
    mentor_first: np.ndarray
    mentee_first: np.ndarray

    @property
    def n_mentor_types(self) -> int:
        """The number of mentor rule types."""
        return len(self.mentor_first)

    @property
    def n_mentee_types(self) -> int:
        """The number of mentee rule types."""
        return len(self.mentee_first)


def _group(columns: list[np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(type of each row, first row of each type)`` for rows equal in every column."""
    if not columns or not size:
        return np.zeros(size, dtype=np.int64), np.zeros(min(size, 1), dtype=np.int64)
    parts = [np.ascontiguousarray(c).reshape(size, -1) for c in columns]
    table = np.column_stack([p.view(np.int64) if p.dtype == np.uint64 else p.astype(np.int64) for p in parts])
    _, first, kind = np.unique(table, axis=0, return_index=True, return_inverse=True)
    return kind.reshape(-1).astype(np.int64), first.astype(np.int64)


# Relative slack of the minimum-score rule: far above the float noise of a sum of a few
# non-negative terms (about 1e-15 of the largest), far below any meaningful difference.
MIN_SCORE_RTOL = 1e-12


def min_score_slack(min_score: float, upper_bound: float) -> float:
    """How far below ``min_score`` a pair's total may fall (float noise) and still meet it:
    relative to the scores' scale (``upper_bound``, the largest possible score), never absolute,
    so the rule bites the same on scores of any size.

    >>> min_score_slack(0.5, 1.0), min_score_slack(2e-9, 3e-9)
    (1e-12, 3e-21)
    """
    return MIN_SCORE_RTOL * max(abs(min_score), upper_bound)


class RuleChecker:
    """Evaluates the hard rules on any block of mentor rows x mentee columns.

    Per-person data (attribute codes, borough profiles) is prepared once, so
    a block costs a few vectorised comparisons and gathers; dense, chunked
    and on-demand callers share this one implementation.
    """

    def __init__(self, problem: Problem, scorer: Scorer) -> None:
        self.rules, self.shape = problem.rules, problem.shape
        rules, geo = problem.rules, problem.geography
        self.min_score_slack = 0.0 if rules.min_score is None else min_score_slack(rules.min_score, scorer.upper_bound)
        builtin = scorer.builtin
        self.builtin = builtin
        self.place_left, self.place_right = builtin.left.place, builtin.right.place
        mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
        forbidden = [(mentor_ix[m], mentee_ix[e]) for m, e in rules.forbidden_pairs]
        self.forbidden = np.array(forbidden, dtype=np.int64).reshape(-1, 2)
        left, right = builtin.left.place_incidence, builtin.right.place_incidence
        self.steps: np.ndarray | None = None
        if rules.max_borough_steps is not None:
            far = np.iinfo(np.int16).max
            dist = np.where(geo.distance < 0, far, geo.distance)
            self.steps = profile_matrix(left, dist, right, best="min", empty=far)
        # ("profile", same[left profile, right profile]) or ("codes", left codes, right codes)
        self.same: list[tuple[str, np.ndarray, np.ndarray]] = []
        for name in rules.forbid_same:
            if name in ("borough", "bcu"):
                n = len(geo.places)
                if name == "borough":
                    same = np.eye(n)
                else:
                    units = [geo.unit_of.get(p) for p in geo.places]
                    same = np.array([[u is not None and u == v for v in units] for u in units], dtype=float)
                self.same.append(("profile", profile_matrix(left, same, right) > 0, np.empty(0)))
            else:
                self.same.append(("codes", *_attribute_codes(problem.mentors, problem.mentees, name)))
        # Must-match, eligibility and conditional rules: (bit, compiled test) each.
        self.tests: list[tuple[Rule, PairTest]] = []
        if rules.require_same:
            must_match = Then(same=rules.require_same)
            self.tests.append((Rule.DIFFERENT_ATTRIBUTE, PairTest.compile(problem, builtin, When(), must_match)))
        for rule in rules.conditional:
            self.tests.append((Rule.CONDITIONAL, PairTest.compile(problem, builtin, rule.when, rule.then)))
        # Eligibility is one flag per person: everyone on a side who fails a requirement.
        self.eligible_left = condition_mask([r for r in rules.require if r.side == "mentor"], problem.mentors)
        self.eligible_right = condition_mask([r for r in rules.require if r.side == "mentee"], problem.mentees)
        self.eligibility = bool(rules.require)
        self.custom = scorer.custom  # its ``only_listed`` components rule out every other pair
        self.listed = bool(scorer.custom.listed)
        self._types: RuleTypes | None = None

    def _type_columns(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The per-person values the rules outside `PAIR_RULES` read, one array per value
        and side. A rule added to `block` adds what it reads here."""
        rules, builtin = self.rules, self.builtin
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        if rules.require_focus_overlap:
            left.append(builtin.left.focus)
            right.append(builtin.right.focus)
        if rules.min_overlap_minutes:
            left.append(builtin.left.slots)
            right.append(builtin.right.slots)
        if self.steps is not None or any(kind == "profile" for kind, _, _ in self.same):
            left.append(self.place_left)
            right.append(self.place_right)
        for kind, codes_left, codes_right in self.same:
            if kind == "codes":
                left.append(codes_left)
                right.append(codes_right)
        more_left, more_right = self.rule_codes()
        return left + more_left, right + more_right

    def person_types(self) -> RuleTypes:
        """Both sides grouped by what the rules read (computed once): the bits outside
        `PAIR_RULES` of any pair are those of its types' representatives (`type_block`)."""
        if self._types is None:
            left, right = self._type_columns()
            mentor, mentor_first = _group(left, self.shape[0])
            mentee, mentee_first = _group(right, self.shape[1])
            self._types = RuleTypes(mentor, mentee, mentor_first, mentee_first)
        return self._types

    def type_block(self, mentor_types: Index, mentee_types: Index) -> np.ndarray:
        """Rule bits outside `PAIR_RULES` of mentor types x mentee types (`person_types`),
        from one representative pair each; the bits of every pair of those types."""
        types = self.person_types()
        rows = types.mentor_first[mentor_types]
        cols = types.mentee_first[mentee_types]
        builtin = self.builtin
        code = builtin.levels(rows, cols)
        scores = {name: np.take(builtin.level_values[name], code) for name in ("focus", "total")}
        scores["overlap_minutes"] = builtin.overlap_minutes(rows, cols)
        return self.block(rows, cols, scores) & BITS(~PAIR_RULES & np.iinfo(BITS).max)

    @property
    def active(self) -> bool:
        """True when some rule can remove a pair (otherwise every block is all zeros)."""
        return self.listed or self.beyond_listed

    @property
    def beyond_listed(self) -> bool:
        """True when a rule other than the listed pairs of ``only_listed`` components can remove a pair."""
        rules = self.rules
        return bool(
            len(self.forbidden)
            or rules.min_score is not None
            or rules.require_focus_overlap
            or rules.min_overlap_minutes
            or self.steps is not None
            or self.same
            or self.tests
            or self.eligibility
        )

    def block(self, rows: Index, cols: Index, scores: dict[str, np.ndarray]) -> np.ndarray:
        """Rule bits for mentors ``rows`` x mentees ``cols`` given their scores (from `Scorer.block`)."""
        rules = self.rules
        blocked = self.pair_block(rows, cols, scores["total"].shape, scores["total"])
        if rules.require_focus_overlap:
            blocked[scores["focus"] <= 0] |= BITS(Rule.NO_FOCUS_OVERLAP)
        if rules.min_overlap_minutes:
            blocked[scores["overlap_minutes"] < rules.min_overlap_minutes] |= BITS(Rule.TOO_LITTLE_OVERLAP)
        if self.steps is not None:
            steps = self.steps[np.ix_(self.place_left[rows], self.place_right[cols])]
            blocked[steps > rules.max_borough_steps] |= BITS(Rule.TOO_FAR)
        for kind, left, right in self.same:
            if kind == "profile":
                same = left[np.ix_(self.place_left[rows], self.place_right[cols])]
            else:
                same = left[rows][:, None] == right[cols][None, :]
            blocked[same] |= BITS(Rule.SAME_ATTRIBUTE)
        if self.eligibility:
            ineligible = ~(self.eligible_left[rows][:, None] & self.eligible_right[cols][None, :])
            blocked[ineligible] |= BITS(Rule.NOT_ELIGIBLE)
        for bit, test in self.tests:
            blocked[test.broken(rows, cols)] |= BITS(bit)
        return blocked

    def pair_block(
        self, rows: Index, cols: Index, shape: tuple[int, int], total: np.ndarray | None = None
    ) -> np.ndarray:
        """The bits of `PAIR_RULES` (forbidden, minimum score, not listed) for the ``shape``
        block of mentors ``rows`` x mentees ``cols``: the rules not decided by type. Only the
        minimum score reads the block's total scores ``total``."""
        blocked = np.zeros(shape, dtype=BITS)
        if len(self.forbidden):
            _mark_pairs(blocked, rows, cols, self.forbidden, self.shape, Rule.FORBIDDEN)
        if self.rules.min_score is not None:
            assert total is not None, "the minimum score needs the total scores"
            blocked[total < self.rules.min_score - self.min_score_slack] |= BITS(Rule.MIN_SCORE)
        if self.listed:
            blocked[self.custom.unlisted(rows, cols)] |= BITS(Rule.NOT_LISTED)
        return blocked

    def typed_rows(self, rows: np.ndarray) -> np.ndarray:
        """Rule bits of mentors ``rows`` with every mentee, the rules outside `PAIR_RULES`
        read from the people's types: each distinct type of ``rows`` against each mentee type
        once, then gathered (a row costs a few gathers, not a scoring)."""
        types = self.person_types()
        kinds, inverse = np.unique(types.mentor[rows], return_inverse=True)
        table = self.type_block(kinds, np.arange(types.n_mentee_types))
        return np.take(table[inverse.reshape(-1)], types.mentee, axis=1)

    def typed_cols(self, cols: np.ndarray) -> np.ndarray:
        """Rule bits of mentees ``cols`` with every mentor (``(len(cols), n_mentors)``), the
        rules outside `PAIR_RULES` read from the people's types (see `typed_rows`)."""
        types = self.person_types()
        kinds, inverse = np.unique(types.mentee[cols], return_inverse=True)
        table = self.type_block(np.arange(types.n_mentor_types), kinds).T
        return np.take(table[inverse.reshape(-1)], types.mentor, axis=1)

    def rule_codes(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The per-person codes the must-match, eligibility and conditional rules read:
        (mentors' arrays, mentees' arrays). Their bits are a function of these codes."""
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        if self.eligibility:
            left.append(self.eligible_left.astype(np.int64))
            right.append(self.eligible_right.astype(np.int64))
        for _, test in self.tests:
            more_left, more_right = test.codes()
            left += more_left
            right += more_right
        return left, right


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a Python loop."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)


def _occurrences(selection: Index, items: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every place each of ``items`` occurs in ``selection``: ``(item index, position)`` pairs.

    Costs O((len(items) + len(selection)) log len(selection)), never O(size):
    explanations ask for single pairs of very large problems. An index array
    may repeat a person; each occurrence is reported.
    """
    if isinstance(selection, slice):
        start, stop, step = selection.indices(size)
        offset = items - start
        hit = np.flatnonzero((offset >= 0) & (items < stop) & (offset % step == 0))
        return hit, offset[hit] // step
    chosen = np.asarray(selection, dtype=np.int64)
    order = np.argsort(chosen, kind="stable")
    ordered = chosen[order]
    lo, hi = np.searchsorted(ordered, items, "left"), np.searchsorted(ordered, items, "right")
    counts = hi - lo
    return np.repeat(np.arange(len(items)), counts), order[_ragged(lo, counts)]


def _mark_pairs(
    blocked: np.ndarray, rows: Index, cols: Index, pairs: np.ndarray, shape: tuple[int, int], bit: int
) -> None:
    """Set ``bit`` on every cell of the block that holds one of ``pairs`` (mentor, mentee)."""
    r_item, r_pos = _occurrences(rows, pairs[:, 0], shape[0])
    c_item, c_pos = _occurrences(cols, pairs[:, 1], shape[1])
    order = np.argsort(c_item, kind="stable")
    c_item, c_pos = c_item[order], c_pos[order]
    lo, hi = np.searchsorted(c_item, r_item, "left"), np.searchsorted(c_item, r_item, "right")
    counts = hi - lo
    blocked[np.repeat(r_pos, counts), c_pos[_ragged(lo, counts)]] |= BITS(bit)


def build_candidates(problem: Problem, table: ScoreTable, scorer: Scorer | None = None) -> Candidates:
    """Apply every hard rule of ``problem.rules`` to the scored pairs."""
    scorer = scorer or Scorer(problem)
    checker = RuleChecker(problem, scorer)
    blocked = np.empty(table.shape, dtype=BITS)
    arrays = {**table.components, "total": table.total, "overlap_minutes": table.overlap_minutes}
    for start, stop in scorer.chunks():
        rows = slice(start, stop)
        blocked[rows] = checker.block(rows, slice(None), {k: v[rows] for k, v in arrays.items()})
    blocked.setflags(write=False)
    return Candidates(
        blocked=blocked,
        required=required_indices(problem),
        mentor_min=minimum_partners(problem, "mentor"),
        mentor_max=np.array([p.max_partners for p in problem.mentors], dtype=np.int64),
        mentee_min=minimum_partners(problem, "mentee"),
        mentee_max=np.array([p.max_partners for p in problem.mentees], dtype=np.int64),
    )


def lazy_candidates(problem: Problem, scorer: Scorer, checker: RuleChecker | None = None) -> LazyCandidates:
    """The candidate graph of ``problem`` with rule bits computed on demand."""
    return LazyCandidates(
        scorer=scorer,
        checker=checker or RuleChecker(problem, scorer),
        required=required_indices(problem),
        mentor_min=minimum_partners(problem, "mentor"),
        mentor_max=np.array([p.max_partners for p in problem.mentors], dtype=np.int64),
        mentee_min=minimum_partners(problem, "mentee"),
        mentee_max=np.array([p.max_partners for p in problem.mentees], dtype=np.int64),
    )


def required_indices(problem: Problem) -> tuple[tuple[int, int], ...]:
    """Pinned pairs as (mentor row, mentee column), each once, in the order given."""
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    return tuple((mentor_ix[m], mentee_ix[e]) for m, e in dict.fromkeys(problem.rules.required_pairs))


def minimum_partners(problem: Problem, side: str) -> np.ndarray:
    """Each person's lower bound: ``min_partners``, raised to 1 by ``match_all_*``
    (but never above ``max_partners``, so someone taking no partners stays out)."""
    people = problem.mentors if side == "mentor" else problem.mentees
    everyone = problem.rules.match_all_mentors if side == "mentor" else problem.rules.match_all_mentees
    return np.array([max(p.min_partners, min(int(everyone), p.max_partners)) for p in people], dtype=np.int64)


def quota_key(problem: Problem, person: Person, key: str) -> str | None:
    """The group a person belongs to for a quota ``key`` (None if undefined)."""
    if key == "focus":
        return person.focus_areas[0] if person.focus_areas else None
    if key == "borough":
        return person.boroughs[0] if person.boroughs else None
    if key == "bcu":
        return problem.geography.unit_of.get(person.boroughs[0]) if person.boroughs else None
    value = person.attributes.get(key)
    return None if value is None else str(value)


def quota_groups(problem: Problem, quota: Quota) -> dict[str, np.ndarray]:
    """For each group the quota constrains, a boolean mask over that side's people."""
    people = problem.mentors if quota.side == "mentor" else problem.mentees
    labels = [quota_key(problem, p, quota.key) for p in people]
    values = [quota.value] if quota.value is not None else sorted({v for v in labels if v is not None})
    return {v: np.array([label == v for label in labels], dtype=bool) for v in values}
