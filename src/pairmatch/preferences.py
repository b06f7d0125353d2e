"""People's own preferences: ranked lists, soft preferences and rank scores.

Ranked lists
    A person's ranking of people on the other side, best first, with ties
    and as short as they like: ``"M3 > M1 = M2 > M7"`` (``;`` may stand for
    ``>``), or a list whose items are ids or lists of tied ids. Stored as a
    tuple of tie groups. Ranks count like sports positions: in
    ``M3 > M1 = M2 > M7`` M3 is 1st, M1 and M2 are 2nd, M7 is 4th.
`Preference`
    A soft rule, as a named score component with a weight: a pair scores 1
    when ``when`` and ``then`` both hold ("this mentor prefers a female
    officer"), else 0. It never removes a pair; the solver may trade it
    against the other components, by its weight.
`RankScore`
    A score component from one side's ranked lists: rank ``r`` scores
    ``values[r - 1]`` (default ``1 / r``); a rank past the end of ``values``
    and a partner the person did not rank score ``unranked`` (default 0).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .conditions import Then, When
from .custom_scores import MAX_VALUE, check_component_name
from .text import TextError, clean_text

__all__ = [
    "Preference",
    "RankScore",
    "Ranking",
    "ScoreComponent",
    "format_ranking",
    "parse_ranking",
    "rank_positions",
]

Ranking = tuple[tuple[str, ...], ...]
_BETTER = re.compile(r"[>;]")


def parse_ranking(value: Any) -> Ranking:
    """A ranking as tie groups, best first, from text or a list.

    Raises ``ValueError`` on an empty id, an id listed twice, or control characters.

    Examples
    --------
    >>> parse_ranking("M3 > M1 = M2 > M7")
    (('M3',), ('M1', 'M2'), ('M7',))
    >>> parse_ranking(["M3", ["M1", "M2"]]) == parse_ranking("M3; M1 = M2")
    True
    >>> parse_ranking("")
    ()
    """
    if value is None:
        return ()
    if isinstance(value, str):
        groups: list[list[str]] = [part.split("=") for part in _BETTER.split(value)] if value.strip() else []
    elif isinstance(value, Sequence):
        groups = []
        for position, item in enumerate(value, start=1):
            if not isinstance(item, str | Sequence):
                raise ValueError(f"ranking place {position}: {item!r} is not an id or a list of tied ids")
            groups.append([item] if isinstance(item, str) else list(item))
    else:
        raise ValueError(f"a ranking is text such as 'M3 > M1 = M2' or a list of ids, got {type(value).__name__}")
    out: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for position, group in enumerate(groups, start=1):
        ids = []
        for item in group:
            if not isinstance(item, str):
                raise ValueError(f"ranking place {position}: {item!r} is not an id (text)")
            try:
                pid = " ".join(clean_text(item).split())
            except TextError as err:
                raise ValueError(f"ranking: {err}") from None
            if not pid:
                raise ValueError(f"ranking place {position} has an empty id (two separators in a row?)")
            if pid in seen:
                raise ValueError(f"ranking lists {pid!r} more than once")
            seen.add(pid)
            ids.append(pid)
        out.append(tuple(ids))
    return tuple(out)


def format_ranking(ranking: Ranking) -> str:
    """The text form of a ranking (what `parse_ranking` reads back).

    >>> format_ranking((("M3",), ("M1", "M2")))
    'M3 > M1 = M2'
    """
    return " > ".join(" = ".join(group) for group in ranking)


def rank_positions(ranking: Ranking) -> dict[str, int]:
    """Each ranked id's rank (1 = first choice); tied ids share the better rank.

    >>> rank_positions((("M3",), ("M1", "M2"), ("M7",)))
    {'M3': 1, 'M1': 2, 'M2': 2, 'M7': 4}
    """
    out: dict[str, int] = {}
    before = 0
    for group in ranking:
        for pid in group:
            out[pid] = before + 1
        before += len(group)
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class ScoreComponent(BaseModel):
    """What every named score component declared on a `~pairmatch.models.Problem` shares: a
    ``name`` (results, files and explanations show it), a non-negative ``weight`` and a
    ``description``. A kind of component adds its settings, ``upper_bound``, ``value`` (its
    definition for one pair, which the verifier uses) and ``fact`` (words for explanations);
    see "Add a score component" in the architecture docs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    weight: float = Field(1.0, ge=0, le=MAX_VALUE, allow_inf_nan=False)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_component_name(value)

    @property
    def label(self) -> str:
        """The description, or the name."""
        return self.description or self.name

    @property
    def upper_bound(self) -> float:
        """No value of the component exceeds this."""
        return 1.0


class Preference(ScoreComponent):
    """A soft preference as a named score component: 1 when ``when`` and ``then`` hold, else 0.

    Examples
    --------
    A mentor who prefers a female officer (the mentee) scores 1 with one:

    >>> from pairmatch.conditions import Condition
    >>> prefers = Preference(
    ...     name="female_officer", weight=0.2, description="prefers a female officer",
    ...     when=When(mentor=(Condition(attribute="prefers_female_officer", equals=True),)),
    ...     then=Then(mentee=(Condition(attribute="sex", equals="female"),)),
    ... )
    >>> prefers.upper_bound
    1.0
    """

    when: When = When()
    then: Then

    def value(self, mentor: Any, mentee: Any, unit_of: Mapping[str, str]) -> float:
        """The component's value for one pair (the reference definition)."""
        return float(self.when.holds(mentor, mentee) and self.then.holds(mentor, mentee, unit_of))

    def fact(self, mentor: Any, mentee: Any, unit_of: Mapping[str, str]) -> str:
        """Why the pair scores what it does, in words."""
        if not self.when.holds(mentor, mentee):
            return f"{self.label}: does not apply ({self.when.describe()} does not hold)"
        failures = self.then.failures(mentor, mentee, unit_of)
        if failures:
            return f"{self.label}: not met ({'; '.join(failures)})"
        return f"{self.label}: met ({self.then.describe()})"


class RankScore(ScoreComponent):
    """A score component from the ranked lists of one side.

    Attributes
    ----------
    side : {"mentor", "mentee"}
        Whose rankings score the pair: with ``"mentee"``, pair (m, e) scores by
        where mentee e ranked mentor m.
    values : tuple of float
        Score of rank 1, 2, ... (non-increasing). Empty (the default): rank
        ``r`` scores ``1 / r``.
    unranked : float
        Score of a partner the person did not rank, or ranked past the end
        of ``values``.

    Examples
    --------
    >>> choice = RankScore(name="mentee_choice", side="mentee", values=(1.0, 0.6, 0.3))
    >>> choice.score(1), choice.score(3), choice.score(4), choice.score(None)
    (1.0, 0.3, 0.0, 0.0)
    >>> RankScore(name="r", side="mentor").score(4)
    0.25
    """

    side: Literal["mentor", "mentee"]
    values: tuple[float, ...] = ()
    unranked: float = Field(0.0, ge=0, le=MAX_VALUE, allow_inf_nan=False)

    @field_validator("values")
    @classmethod
    def _values(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for k, v in enumerate(value):
            if not math.isfinite(v) or not 0 <= v <= MAX_VALUE:
                raise ValueError(f"values[{k}] = {v} must be a finite number from 0 to {MAX_VALUE:g}")
            if k and v > value[k - 1]:
                raise ValueError(
                    f"values must not increase (a better rank never scores less): values[{k}] = {v:g} "
                    f"> values[{k - 1}] = {value[k - 1]:g}"
                )
        return value

    @model_validator(mode="after")
    def _unranked_last(self) -> RankScore:
        lowest = self.values[-1] if self.values else 0.0
        if self.unranked > lowest:
            raise ValueError(
                f"unranked ({self.unranked:g}) is above the score of a ranked partner ({lowest:g}); "
                "give values ending at or above it"
                if self.values
                else f"unranked ({self.unranked:g}) needs explicit values (the default 1/rank falls below it)"
            )
        return self

    @property
    def upper_bound(self) -> float:
        """No value of the component exceeds this (the score of rank 1)."""
        return self.values[0] if self.values else 1.0

    def score(self, rank: int | None) -> float:
        """The value of a partner at ``rank`` (None: not ranked)."""
        if rank is None:
            return self.unranked
        if not self.values:
            return 1.0 / rank
        return self.values[rank - 1] if rank <= len(self.values) else self.unranked

    def mapping(self) -> str:
        """The rank-to-score mapping in words."""
        if not self.values:
            return "1 / rank"
        shown = ", ".join(f"{_ordinal(k)} {v:g}" for k, v in enumerate(self.values, start=1))
        return f"{shown}, otherwise {self.unranked:g}"

    def rank_of(self, mentor: Any, mentee: Any) -> int | None:
        """Where the ``side`` person ranked the other (None when not ranked)."""
        ranker, other = (mentor, mentee) if self.side == "mentor" else (mentee, mentor)
        return rank_positions(ranker.ranking).get(other.id)

    def value(self, mentor: Any, mentee: Any) -> float:
        """The component's value for one pair (the reference definition)."""
        return self.score(self.rank_of(mentor, mentee))

    def fact(self, mentor: Any, mentee: Any) -> str:
        """The ranking behind the pair's value in words, e.g. ``mentee_choice: O1 ranked M2 2nd``."""
        ranker, other = (mentor, mentee) if self.side == "mentor" else (mentee, mentor)
        rank = self.rank_of(mentor, mentee)
        if rank is None:
            listed = sum(len(g) for g in ranker.ranking)
            return f"{self.label}: {ranker.id} did not rank {other.id}" + (f" ({listed} ranked)" if listed else "")
        tied = next(len(g) for g in ranker.ranking if other.id in g) > 1
        return f"{self.label}: {ranker.id} ranked {other.id} {_ordinal(rank)}{' (tied)' if tied else ''}"
