"""Hard rules as structure: which pairs are candidates, which are pinned, capacities.

Every rule that removes a pair sets one bit in ``Candidates.blocked``, so an
explanation can say exactly which rules removed a pair. Nothing here is a
penalty: a blocked pair is simply not an arc of the solver's graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag
from typing import Protocol, runtime_checkable

import numpy as np

from .models import Person, Problem, Quota
from .scoring import Scorer, ScoreTable, profile_matrix
from .scoring.levels import Index

__all__ = [
    "CandidateView",
    "Candidates",
    "LazyCandidates",
    "Rule",
    "RuleChecker",
    "bounds_after_pins",
    "build_candidates",
    "lazy_candidates",
    "min_score_slack",
    "minimum_partners",
    "quota_groups",
    "quota_key",
    "required_indices",
    "rule_names",
]


class Rule(IntFlag):
    """Why a pair is not a candidate (bits of ``Candidates.blocked``)."""

    FORBIDDEN = 1
    MIN_SCORE = 2
    NO_FOCUS_OVERLAP = 4
    TOO_LITTLE_OVERLAP = 8
    TOO_FAR = 16
    SAME_ATTRIBUTE = 32

    def describe(self) -> str:
        return RULE_TEXT[self]


RULE_TEXT = {
    Rule.FORBIDDEN: "forbidden pair",
    Rule.MIN_SCORE: "score below the minimum",
    Rule.NO_FOCUS_OVERLAP: "no shared or related focus area",
    Rule.TOO_LITTLE_OVERLAP: "too little common availability",
    Rule.TOO_FAR: "boroughs too far apart",
    Rule.SAME_ATTRIBUTE: "same value of an attribute that must differ",
}


def rule_names(bits: int) -> list[str]:
    """Readable names of the rules set in ``bits``."""
    return [RULE_TEXT[r] for r in Rule if bits & r]


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
        """Rule bits of mentors ``index`` with every mentee: ``(len(index), n_mentees)`` uint8."""
        ...

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        """Rule bits of mentees ``index`` with every mentor: ``(len(index), n_mentors)`` uint8."""
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
        return self.blocked == 0

    def blocked_rows(self, index: np.ndarray) -> np.ndarray:
        return self.blocked[np.asarray(index, dtype=np.int64)]

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        return self.blocked[:, np.asarray(index, dtype=np.int64)].T

    def blocked_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
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
        rows = np.asarray(index, dtype=np.int64)
        return self.checker.block(rows, slice(None), self.scorer.block(rows))

    def blocked_cols(self, index: np.ndarray) -> np.ndarray:
        cols = np.asarray(index, dtype=np.int64)
        return self.checker.block(slice(None), cols, self.scorer.block(slice(None), cols)).T

    def blocked_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        out = np.empty(len(rows), dtype=np.uint8)
        for k in range(len(rows)):  # explanations ask for a handful of pairs
            r, c = rows[k : k + 1], cols[k : k + 1]
            out[k] = self.checker.block(r, c, self.scorer.block(r, c))[0, 0]
        return out

    def free_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    values: dict[object, int] = {}
    out = []
    for offset, people in ((0, mentors), (len(mentors), mentees)):
        codes = np.empty(len(people), dtype=np.int64)
        for row, person in enumerate(people):
            value = person.attributes.get(name)
            codes[row] = -1 - offset - row if value is None else values.setdefault(value, len(values))
        out.append(codes)
    return out[0], out[1]


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

    @property
    def active(self) -> bool:
        """True when some rule can remove a pair (otherwise every block is all zeros)."""
        rules = self.rules
        return bool(
            len(self.forbidden)
            or rules.min_score is not None
            or rules.require_focus_overlap
            or rules.min_overlap_minutes
            or self.steps is not None
            or self.same
        )

    def block(self, rows: Index, cols: Index, scores: dict[str, np.ndarray]) -> np.ndarray:
        """Rule bits for mentors ``rows`` x mentees ``cols`` given their scores (from `Scorer.block`)."""
        rules = self.rules
        blocked = np.zeros(scores["total"].shape, dtype=np.uint8)
        if len(self.forbidden):
            _mark_pairs(blocked, rows, cols, self.forbidden, self.shape, Rule.FORBIDDEN)
        if rules.min_score is not None:
            blocked[scores["total"] < rules.min_score - self.min_score_slack] |= np.uint8(Rule.MIN_SCORE)
        if rules.require_focus_overlap:
            blocked[scores["focus"] <= 0] |= np.uint8(Rule.NO_FOCUS_OVERLAP)
        if rules.min_overlap_minutes:
            blocked[scores["overlap_minutes"] < rules.min_overlap_minutes] |= np.uint8(Rule.TOO_LITTLE_OVERLAP)
        if self.steps is not None:
            steps = self.steps[np.ix_(self.place_left[rows], self.place_right[cols])]
            blocked[steps > rules.max_borough_steps] |= np.uint8(Rule.TOO_FAR)
        for kind, left, right in self.same:
            if kind == "profile":
                same = left[np.ix_(self.place_left[rows], self.place_right[cols])]
            else:
                same = left[rows][:, None] == right[cols][None, :]
            blocked[same] |= np.uint8(Rule.SAME_ATTRIBUTE)
        return blocked


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
    blocked[np.repeat(r_pos, counts), c_pos[_ragged(lo, counts)]] |= np.uint8(bit)


def build_candidates(problem: Problem, table: ScoreTable, scorer: Scorer | None = None) -> Candidates:
    """Apply every hard rule of ``problem.rules`` to the scored pairs."""
    scorer = scorer or Scorer(problem)
    checker = RuleChecker(problem, scorer)
    blocked = np.empty(table.shape, dtype=np.uint8)
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
