"""Hard rules as structure: which pairs are candidates, which are pinned, capacities.

Every rule that removes a pair sets one bit in ``Candidates.blocked``, so an
explanation can say exactly which rules removed a pair. Nothing here is a
penalty: a blocked pair is simply not an arc of the solver's graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np

from .models import Problem
from .scoring import ScoreTable, Scorer, profile_matrix

__all__ = ["Candidates", "Rule", "build_candidates"]


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


@dataclass(frozen=True)
class Candidates:
    """The solver's graph: allowed arcs, pinned pairs, capacity bounds.

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


def _attribute_codes(people, name: str) -> np.ndarray:
    """Integer code of each person's attribute value; distinct negatives when missing."""
    values: dict[object, int] = {}
    codes = np.empty(len(people), dtype=np.int64)
    for row, person in enumerate(people):
        value = person.attributes.get(name)
        codes[row] = -1 - row if value is None else values.setdefault(value, len(values))
    return codes


def same_attribute(problem: Problem, scorer: Scorer, name: str) -> np.ndarray:
    """Boolean (n_mentors, n_mentees): both people share a value of ``name``.

    ``"borough"`` means a common borough, ``"bcu"`` a common policing unit.
    """
    geo = problem.geography
    if name in ("borough", "bcu"):
        n = len(geo.places)
        if name == "borough":
            same = np.eye(n)
        else:
            units = [geo.unit_of.get(p) for p in geo.places]
            same = np.array([[u is not None and u == v for v in units] for u in units], dtype=float)
        left, right = scorer.place_incidence
        shared = profile_matrix(left, same, right) > 0
        return shared[np.ix_(scorer.place_left, scorer.place_right)]
    left = _attribute_codes(problem.mentors, name)
    right = _attribute_codes(problem.mentees, name)
    return left[:, None] == right[None, :]


def borough_steps(problem: Problem, scorer: Scorer) -> np.ndarray:
    """Fewest borders between any borough of the mentor and any of the mentee.

    Pairs where a side lists no borough, or the places are unconnected, get a large value.
    """
    far = np.iinfo(np.int16).max
    dist = np.where(problem.geography.distance < 0, far, problem.geography.distance)
    left, right = scorer.place_incidence
    steps = profile_matrix(left, dist, right, best="min", empty=far)
    return steps[np.ix_(scorer.place_left, scorer.place_right)]


def build_candidates(problem: Problem, table: ScoreTable, scorer: Scorer | None = None) -> Candidates:
    """Apply every hard rule of ``problem.rules`` to the scored pairs."""
    rules = problem.rules
    scorer = scorer or Scorer(problem)
    blocked = np.zeros(table.shape, dtype=np.uint8)
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    for mentor_id, mentee_id in rules.forbidden_pairs:
        blocked[mentor_ix[mentor_id], mentee_ix[mentee_id]] |= Rule.FORBIDDEN
    if rules.min_score is not None:
        # Compare at the solver's resolution so that a pair exactly at the
        # threshold is not lost to floating-point noise.
        blocked[table.total < rules.min_score - 1e-9] |= Rule.MIN_SCORE
    if rules.require_focus_overlap:
        blocked[table.components["focus"] <= 0] |= Rule.NO_FOCUS_OVERLAP
    if rules.min_overlap_minutes:
        blocked[table.overlap_minutes < rules.min_overlap_minutes] |= Rule.TOO_LITTLE_OVERLAP
    if rules.max_borough_steps is not None:
        blocked[borough_steps(problem, scorer) > rules.max_borough_steps] |= Rule.TOO_FAR
    for name in rules.forbid_same:
        blocked[same_attribute(problem, scorer, name)] |= Rule.SAME_ATTRIBUTE
    required = tuple(
        (mentor_ix[m], mentee_ix[e]) for m, e in dict.fromkeys(rules.required_pairs)
    )
    return Candidates(
        blocked=blocked,
        required=required,
        mentor_min=np.array([p.min_partners for p in problem.mentors], dtype=np.int64),
        mentor_max=np.array([p.max_partners for p in problem.mentors], dtype=np.int64),
        mentee_min=np.array([p.min_partners for p in problem.mentees], dtype=np.int64),
        mentee_max=np.array([p.max_partners for p in problem.mentees], dtype=np.int64),
    )
