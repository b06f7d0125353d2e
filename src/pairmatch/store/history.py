"""History-aware matching: rules and score components built from earlier pairings.

Pure functions over plain records, so they are tested without a database;
`ProgrammeStore` feeds them what it has stored.

- **No repeats** (on by default): every earlier pairing of two people in the
  problem becomes a forbidden pair (a hard rule: a missing arc).
- **Continuity** (off by default): ``earlier_partner``, a custom component
  worth 1 for a pair that was paired before and 0 otherwise, with a weight.
  It only makes sense with repeats allowed.
- **Feedback** (off by default): ``feedback``, a custom component from the
  ratings coordinators recorded. Ratings are whole numbers from 1 (the pair
  did not work) to 5 (it worked very well); a rated pair's value is
  ``(mean rating - 1) / 4`` in [0, 1], and a pair never rated gets the
  neutral ``0.5``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..custom_scores import CustomScore
from ..models import Problem

__all__ = [
    "CONTINUITY_COMPONENT",
    "FEEDBACK_COMPONENT",
    "FEEDBACK_NEUTRAL",
    "HistoryOptions",
    "PastPairing",
    "feedback_value",
    "with_history",
]

CONTINUITY_COMPONENT = "earlier_partner"  # both in RESERVED_COMPONENTS: no caller's score takes them
FEEDBACK_COMPONENT = "feedback"
FEEDBACK_NEUTRAL = 0.5
RATING_MIN, RATING_MAX = 1, 5


@dataclass(frozen=True)
class PastPairing:
    """An earlier pairing of two people, with its cohort and mean feedback rating (if any)."""

    mentor_id: str
    mentee_id: str
    cohort: str
    rating: float | None = None
    active: bool = False


class HistoryOptions(BaseModel):
    """How a new matching uses the programme's history.

    Attributes
    ----------
    forbid_repeats : bool
        Never pair two people who were paired before (in any cohort).
    continuity_weight : float
        Weight of ``earlier_partner`` (prefer earlier partners); needs
        ``forbid_repeats=False``.
    feedback_weight : float
        Weight of ``feedback`` (the pair's own ratings, see the module docstring).

    >>> HistoryOptions(forbid_repeats=False, continuity_weight=0.2).continuity_weight
    0.2
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    forbid_repeats: bool = True
    continuity_weight: float = Field(0.0, ge=0, allow_inf_nan=False)
    feedback_weight: float = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _consistent(self) -> HistoryOptions:
        if self.forbid_repeats and self.continuity_weight > 0:
            raise ValueError(
                "preferring earlier partners (continuity_weight > 0) needs repeats allowed (forbid_repeats=False)"
            )
        return self


def feedback_value(ratings: Sequence[float]) -> float:
    """The ``feedback`` component of a pair from its ratings (1-5): ``(mean - 1) / 4``.

    >>> feedback_value([5]), feedback_value([2, 3]), feedback_value([])
    (1.0, 0.375, 0.5)
    """
    if not ratings:
        return FEEDBACK_NEUTRAL
    for r in ratings:
        if not RATING_MIN <= r <= RATING_MAX:
            raise ValueError(f"rating {r!r} is outside {RATING_MIN}-{RATING_MAX}")
    return (sum(ratings) / len(ratings) - RATING_MIN) / (RATING_MAX - RATING_MIN)


def with_history(
    problem: Problem,
    past: Iterable[PastPairing],
    options: HistoryOptions | None = None,
    *,
    keep: Iterable[tuple[str, str]] = (),
) -> Problem:
    """``problem`` with the rules and components its people's history calls for.

    Parameters
    ----------
    problem : Problem
    past : iterable of PastPairing
        Earlier pairings (records naming people outside the problem are ignored).
    options : HistoryOptions, optional
    keep : iterable of (mentor_id, mentee_id)
        Pairs the history leaves alone: never forbidden, no ``earlier_partner``
        bonus (the cohort's own current pairs during a re-match, which the
        re-match itself keeps or moves).

    Examples
    --------
    >>> from pairmatch import pilot_problem, solve
    >>> p = with_history(pilot_problem(), [PastPairing("M1", "O1", "2025")])
    >>> p.rules.forbidden_pairs
    (('M1', 'O1'),)
    >>> ("M1", "O1") in [(x.mentor_id, x.mentee_id) for x in solve(p).pairs]
    False
    """
    options = options or HistoryOptions()
    mentors = {m.id for m in problem.mentors}
    mentees = {m.id for m in problem.mentees}
    mine = [p for p in past if p.mentor_id in mentors and p.mentee_id in mentees]
    spared = set(keep)
    update: dict[str, object] = {}
    if options.forbid_repeats:
        pairs = {(p.mentor_id, p.mentee_id) for p in mine} - spared
        forbidden = tuple(dict.fromkeys((*problem.rules.forbidden_pairs, *sorted(pairs))))
        required = set(problem.rules.required_pairs)
        clash = [p for p in forbidden if p in required]
        if clash:
            raise ValueError(
                f"{clash[0]!r} is a required pair but was paired before; allow repeats or drop the requirement"
            )
        if forbidden != problem.rules.forbidden_pairs:
            update["rules"] = problem.rules.model_copy(update={"forbidden_pairs": forbidden})
    scores = [s for s in problem.scores if s.name not in (CONTINUITY_COMPONENT, FEEDBACK_COMPONENT)]
    if options.continuity_weight > 0:
        earlier = sorted({(p.mentor_id, p.mentee_id) for p in mine} - spared)
        scores.append(
            CustomScore.added_by_pairmatch(
                name=CONTINUITY_COMPONENT,
                weight=options.continuity_weight,
                max_value=1.0,
                description="partner in an earlier pairing",
                entries=tuple((m, e, 1.0) for m, e in earlier),
            )
        )
    if options.feedback_weight > 0:
        ratings: dict[tuple[str, str], list[float]] = {}
        for p in mine:
            if p.rating is not None:
                ratings.setdefault((p.mentor_id, p.mentee_id), []).append(p.rating)
        scores.append(
            CustomScore.added_by_pairmatch(
                name=FEEDBACK_COMPONENT,
                weight=options.feedback_weight,
                max_value=1.0,
                default=FEEDBACK_NEUTRAL,
                description="feedback rating of this pair ((mean of 1-5) - 1) / 4; 0.5 unrated",
                entries=tuple((m, e, feedback_value(r)) for (m, e), r in sorted(ratings.items())),
            )
        )
    if len(scores) != len(problem.scores) or options.continuity_weight > 0 or options.feedback_weight > 0:
        update["scores"] = tuple(scores)
    if not update:
        return problem
    data = {name: getattr(problem, name) for name in type(problem).model_fields}
    data.update(update)
    return Problem(**data)
