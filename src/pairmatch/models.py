"""Input models: the people on each side, the hard rules, and the whole problem.

All models are frozen pydantic models that forbid unknown fields, so a typo in
a field name is an error rather than a silently ignored setting.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .availability import normalize_windows
from .datasets import default_taxonomy, london
from .geography import Geography
from .params import Weights
from .taxonomy import Taxonomy, normalize_topic

__all__ = ["Mentee", "Mentor", "Person", "Problem", "Quota", "Rules"]

AttributeValue = Union[bool, int, float, str]


class Person(BaseModel):
    """Someone taking part: fields shared by mentors and mentees.

    Attributes
    ----------
    id : str
        Unique across the whole problem (both sides).
    name : str, optional
        Display name.
    focus_areas : tuple of str
        Topics this person brings or wants, most important first.
    boroughs : tuple of str
        Boroughs the person lives in or has served in.
    availability : tuple of str
        Weekly windows such as ``"Mon 18:00-20:00"`` (half-hour grid); stored
        merged and in canonical form.
    min_partners, max_partners : int
        Capacity: how many partners this person must / may have.
    attributes : dict
        Free attributes (rank, age band, chain of command, ...) for rules and quotas.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    name: str | None = None
    focus_areas: tuple[str, ...] = ()
    boroughs: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    min_partners: int = Field(0, ge=0)
    max_partners: int = Field(1, ge=0)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_person(cls, data: Any, handler: Any) -> Any:
        """Prefix every field error with the person's id, so a message points at a row."""
        try:
            return handler(data)
        except ValidationError as err:
            pid = data.get("id") if isinstance(data, dict) else None
            if not pid:
                raise
            details = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'record'}: "
                f"{e['msg'].removeprefix('Value error, ')} [{e['type']}] (got {e['input']!r})"
                for e in err.errors()
            )
            raise ValueError(f"{cls.__name__.lower()} {pid!r}: {details}") from None

    @field_validator("focus_areas", mode="before")
    @classmethod
    def _topics(cls, value: Any) -> Any:
        items = value.split(";") if isinstance(value, str) else value
        return tuple(dict.fromkeys(normalize_topic(t) for t in items if str(t).strip()))

    @field_validator("boroughs", mode="before")
    @classmethod
    def _places(cls, value: Any) -> Any:
        items = value.split(";") if isinstance(value, str) else value
        # Known London spellings are canonicalised here; other geographies are
        # checked against the problem's own geography in Problem.
        return tuple(dict.fromkeys(london().canonical(p) or str(p).strip() for p in items if str(p).strip()))

    @field_validator("availability", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> Any:
        return normalize_windows(value)

    @model_validator(mode="after")
    def _capacity(self) -> Person:
        if self.min_partners > self.max_partners:
            raise ValueError(
                f"min_partners ({self.min_partners}) is greater than max_partners ({self.max_partners})"
            )
        return self

    @property
    def label(self) -> str:
        """``name (id)`` or just the id."""
        return f"{self.name} ({self.id})" if self.name else self.id


class Mentor(Person):
    """A mentor. In reverse mentoring, usually the young person from the community."""


class Mentee(Person):
    """A mentee. In reverse mentoring, usually the senior officer."""


PairIds = tuple[str, str]


class Quota(BaseModel):
    """A side constraint on how many pairs a group of people may or must form.

    A pair belongs to the group of its ``side`` person's ``key``: an attribute
    name, or ``"focus"`` (the person's first focus area), ``"borough"`` (first
    borough) or ``"bcu"`` (policing unit of the first borough). With ``value``
    the bounds apply to that group only; without it, to every group that
    occurs among the people on that side. Pinned pairs count.

    Examples
    --------
    At least two pairs on each mentee's main focus area, and no BCU of the
    mentors providing more than 30% of all pairs:

    >>> quotas = (Quota(side="mentee", key="focus", min_pairs=2),
    ...           Quota(side="mentor", key="bcu", max_share=0.3))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    side: Literal["mentor", "mentee"]
    key: str = Field(min_length=1)
    value: str | None = None
    min_pairs: int = Field(0, ge=0)
    max_pairs: int | None = Field(None, ge=0)
    max_share: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounds(self) -> Quota:
        if self.max_pairs is not None and self.min_pairs > self.max_pairs:
            raise ValueError(f"quota on {self.key!r}: min_pairs ({self.min_pairs}) > max_pairs ({self.max_pairs})")
        return self

    @property
    def share(self) -> Fraction | None:
        """``max_share`` as an exact fraction (from its decimal text, so 0.3 is 3/10)."""
        return None if self.max_share is None else Fraction(str(self.max_share))

    def describe(self, value: str | None = None) -> str:
        """The quota in words, for one group ``value`` if given."""
        value = self.value if value is None else value
        target = f"{self.key} = {value!r}" if value is not None else f"each {self.key}"
        parts = []
        if self.min_pairs:
            parts.append(f"at least {self.min_pairs}")
        if self.max_pairs is not None:
            parts.append(f"at most {self.max_pairs}")
        if self.max_share is not None:
            parts.append(f"at most {self.max_share:.0%} of all")
        return f"{' and '.join(parts) or 'any number of'} pairs for {target} ({self.side}s)"


class Rules(BaseModel):
    """Hard rules. Each removes candidate pairs or fixes them; none is a penalty.

    Attributes
    ----------
    forbidden_pairs : tuple of (mentor_id, mentee_id)
        Pairs that must never be matched (conflicts, previous pairings).
    required_pairs : tuple of (mentor_id, mentee_id)
        Pairs fixed before solving and guaranteed in the result.
    min_score : float, optional
        Pairs scoring below this are not candidates.
    require_focus_overlap : bool
        Pairs need at least one shared or related focus area.
    min_overlap_minutes : int
        Pairs need at least this many minutes of common weekly availability.
    max_borough_steps : int, optional
        Pairs whose closest boroughs are more than this many borders apart are
        not candidates (0 = same borough only).
    forbid_same : tuple of str
        Attribute names that must differ within a pair (e.g. a chain of
        command). ``"borough"`` and ``"bcu"`` compare the people's boroughs and
        policing units.
    match_all_mentors, match_all_mentees : bool
        Everyone on that side must get at least one partner (raise
        `InfeasibleProblemError` with the reasons rather than leave anyone out).
    quotas : tuple of Quota
        Side constraints on groups of pairs (solved with CP-SAT).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    forbidden_pairs: tuple[PairIds, ...] = ()
    required_pairs: tuple[PairIds, ...] = ()
    min_score: float | None = Field(None, allow_inf_nan=False)
    require_focus_overlap: bool = False
    min_overlap_minutes: int = Field(0, ge=0)
    max_borough_steps: int | None = Field(None, ge=0)
    forbid_same: tuple[str, ...] = ()
    match_all_mentors: bool = False
    match_all_mentees: bool = False
    quotas: tuple[Quota, ...] = ()


class Problem(BaseModel):
    """A matching problem: both sides, the weights, the rules and the context.

    Examples
    --------
    >>> p = Problem(
    ...     mentors=[Mentor(id="A", focus_areas=["knife crime"], boroughs=["Newham"])],
    ...     mentees=[Mentee(id="X", focus_areas=["knife crime"], boroughs=["tower hamlets"])],
    ... )
    >>> p.mentees[0].boroughs
    ('Tower Hamlets',)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    mentors: tuple[Mentor, ...]
    mentees: tuple[Mentee, ...]
    weights: Weights = Weights()
    rules: Rules = Rules()
    meeting_minutes: int = Field(60, gt=0, le=24 * 60, multiple_of=30)
    taxonomy: Taxonomy = Field(default_factory=default_taxonomy)
    geography: Geography = Field(default_factory=london)
    name: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        errors: list[str] = []
        counts = Counter(p.id for p in (*self.mentors, *self.mentees))
        for pid, count in counts.items():
            if count > 1:
                errors.append(f"id {pid!r} is used {count} times; ids must be unique across mentors and mentees")
        for side, people in (("mentor", self.mentors), ("mentee", self.mentees)):
            for person in people:
                errors.extend(self._unknown_names(side, person))
        mentor_ids = {m.id for m in self.mentors}
        mentee_ids = {m.id for m in self.mentees}
        for field in ("forbidden_pairs", "required_pairs"):
            for mentor_id, mentee_id in getattr(self.rules, field):
                if mentor_id not in mentor_ids:
                    errors.append(f"rules.{field}: {mentor_id!r} is not a mentor id")
                if mentee_id not in mentee_ids:
                    errors.append(f"rules.{field}: {mentee_id!r} is not a mentee id")
        for k, quota in enumerate(self.rules.quotas):
            side = self.mentors if quota.side == "mentor" else self.mentees
            known = {name for person in side for name in person.attributes}
            if quota.key not in ("focus", "borough", "bcu") and quota.key not in known:
                hint = f" (known: {', '.join(sorted(known))})" if known else ""
                errors.append(f"rules.quotas[{k}].key: {quota.key!r} is not an attribute of any {quota.side}{hint}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _unknown_names(self, side: str, person: Person) -> list[str]:
        errors = []
        for topic in person.focus_areas:
            if topic not in self.taxonomy:
                errors.append(_unknown(side, person.id, "focus_areas", topic, self.taxonomy.suggest(topic)))
        for place in person.boroughs:
            if place not in self.geography:
                errors.append(_unknown(side, person.id, "boroughs", place, self.geography.suggest(place)))
        return errors

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        return len(self.mentors), len(self.mentees)

    def mentor_index(self) -> dict[str, int]:
        return {m.id: i for i, m in enumerate(self.mentors)}

    def mentee_index(self) -> dict[str, int]:
        return {m.id: j for j, m in enumerate(self.mentees)}


def _unknown(side: str, pid: str, field: str, value: str, suggestion: str | None) -> str:
    hint = f" - did you mean {suggestion!r}?" if suggestion else ""
    return f"{side} {pid!r}: {field}: unknown value {value!r}{hint}"
