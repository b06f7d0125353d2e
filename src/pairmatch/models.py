"""Input models: the people on each side, the hard rules, and the whole problem.

All models are frozen pydantic models that forbid unknown fields, so a typo in
a field name is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import display
from .availability import normalize_windows
from .conditions import PLACE_KEYS, PairRule, Requirement, attribute_problems, condition_problems, pair_test_problems
from .custom_scores import BUILT_IN_COMPONENTS, CustomScore, PeopleTable
from .datasets import default_taxonomy, london
from .exceptions import require
from .geography import Geography
from .params import Weights
from .preferences import Preference, Ranking, RankScore, format_ranking, parse_ranking
from .setting_values import check_setting_values
from .taxonomy import Taxonomy, normalize_topic
from .text import CleanStr, TextError, clean_text, printable

__all__ = [
    "PERSON_COLUMNS",
    "Mentee",
    "Mentor",
    "Person",
    "Problem",
    "Quota",
    "Rules",
    "check_preferences",
    "check_rules",
    "person_row",
]

AttributeValue = bool | int | float | str
# Kinds of place name kept beside the place they resolve to (`Person.places_as_written`).
_KEPT_KINDS = frozenset({"locality", "postcode", "whole area"})

PERSON_COLUMNS = ("id", "name", "focus_areas", "boroughs", "availability", "min_partners", "max_partners")
"""The people's column layout (files and DataFrames); free attributes follow as columns of their own."""


def _text_items(value: Any, what: str) -> list[str]:
    """The names in a list of texts or one ';'-separated text; anything else is a `ValueError` naming ``what``."""
    if isinstance(value, str):
        return value.split(";")
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"expected a list of {what} names (or one ';'-separated text), not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"each {what} is a name (text), not {type(item).__name__}")
    return list(value)


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
        Boroughs the person lives in or has served in (or a whole-area value
        such as "London-wide"). Everyday names ("Stratford", "E17") are
        resolved against the problem's geography.
    places_as_written : tuple of str
        The names as the input wrote them, one per borough, when any differs
        from the borough's own name ("Stratford" for Newham); empty otherwise.
        Set by `Problem`, so explanations and reports can say "Stratford
        (Newham)".
    availability : tuple of str
        Weekly windows such as ``"Mon 18:00-20:00"`` (half-hour grid); stored
        merged and in canonical form.
    min_partners, max_partners : int
        Capacity: how many partners this person must / may have.
    attributes : dict
        Free attributes (rank, age band, chain of command, ...) for rules and quotas.
    ranking : tuple of tuple of str
        The person's own ranking of people on the other side, best first, as
        tie groups (``"M3 > M1 = M2"`` or ``["M3", ["M1", "M2"]]`` on input;
        see `pairmatch.preferences`). Incomplete lists are fine.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: CleanStr = Field(min_length=1)
    name: CleanStr | None = None
    focus_areas: tuple[str, ...] = ()
    boroughs: tuple[str, ...] = ()
    places_as_written: tuple[str, ...] = ()
    availability: tuple[str, ...] = ()
    min_partners: int = Field(0, ge=0)
    max_partners: int = Field(1, ge=0)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    ranking: Ranking = ()

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_person(cls, data: Any, handler: Any) -> Any:
        """Prefix every field error with the person's id, so a message points at a row.

        The errors keep pydantic's structure (``loc``, ``type``, ``input``) and
        carry the id in ``ctx["person_id"]``, so file readers map them to cells.
        """
        try:
            return handler(data)
        except ValidationError as err:
            pid = data.get("id") if isinstance(data, Mapping) else None
            if not isinstance(pid, str) or not pid:
                raise
            side = cls.__name__.lower()
            details = [
                InitErrorDetails(
                    type=PydanticCustomError(
                        e["type"],
                        f"{side} '{{person_id}}': {e['msg'].removeprefix('Value error, ')}",
                        {**e.get("ctx", {}), "person_id": printable(pid)},
                    ),
                    loc=e["loc"],
                    input=e["input"],
                )
                for e in err.errors()
            ]
            raise ValidationError.from_exception_data(cls.__name__, details) from None

    @field_validator("attributes")
    @classmethod
    def _attribute_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, item in value.items():
            try:
                out[clean_text(key)] = clean_text(item) if isinstance(item, str) else item
            except TextError as err:
                raise ValueError(f"attribute {printable(key)!r}: {err}") from None
        return out

    @field_validator("focus_areas", mode="before")
    @classmethod
    def _topics(cls, value: Any) -> Any:
        return tuple(
            dict.fromkeys(normalize_topic(clean_text(t)) for t in _text_items(value, "focus area") if t.strip())
        )

    @field_validator("boroughs", mode="before")
    @classmethod
    def _places(cls, value: Any) -> Any:
        # Spellings are resolved against the problem's own geography in Problem.
        return tuple(dict.fromkeys(" ".join(clean_text(p).split()) for p in _text_items(value, "place") if p.strip()))

    @field_validator("availability", mode="before")
    @classmethod
    def _windows(cls, value: Any) -> Any:
        return normalize_windows(value)

    @field_validator("ranking", mode="before", json_schema_input_type=str | list[str | list[str]])
    @classmethod
    def _ranking(cls, value: Any) -> Any:
        return parse_ranking(value)

    @model_validator(mode="after")
    def _capacity(self) -> Person:
        if self.min_partners > self.max_partners:
            raise ValueError(f"min_partners ({self.min_partners}) is greater than max_partners ({self.max_partners})")
        if self.places_as_written and len(self.places_as_written) != len(self.boroughs):
            raise ValueError(
                f"places_as_written has {len(self.places_as_written)} names for {len(self.boroughs)} boroughs; "
                "give one per borough, or none"
            )
        return self

    def place_label(self, place: str) -> str:
        """``place`` as this person wrote it: "Stratford (Newham)", or just "Newham".

        >>> Mentor(id="A", boroughs=["Newham"], places_as_written=["Stratford"]).place_label("Newham")
        'Stratford (Newham)'
        """
        if self.places_as_written and place in self.boroughs:
            written = self.places_as_written[self.boroughs.index(place)]
            if written != place:
                return f"{written} ({place})"
        return place

    @property
    def label(self) -> str:
        """``name (id)`` or just the id."""
        return f"{self.name} ({self.id})" if self.name else self.id


class Mentor(Person):
    """A mentor. In reverse mentoring, usually the young person from the community."""


class Mentee(Person):
    """A mentee. In reverse mentoring, usually the senior officer."""


PairIds = tuple[CleanStr, CleanStr]


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
    key: CleanStr = Field(min_length=1)
    value: CleanStr | None = None
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
    require_same : tuple of str
        Attribute names that must be equal within a pair (e.g. ``"sex"``);
        someone without the attribute matches nobody. ``"borough"`` and
        ``"bcu"`` need a shared borough / policing unit.
    require : tuple of Requirement
        Eligibility: conditions everyone on a side must meet to be matched
        (``mentor age at least 18``, ``mentee vetting = 'cleared'``).
    conditional : tuple of PairRule
        Rules conditional on the pair: whenever a rule's ``when`` holds
        (a focus area, a person's attribute or stated need), its ``then``
        must hold too (see `pairmatch.conditions`).
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
    forbid_same: tuple[CleanStr, ...] = ()
    require_same: tuple[CleanStr, ...] = ()
    require: tuple[Requirement, ...] = ()
    conditional: tuple[PairRule, ...] = ()
    match_all_mentors: bool = False
    match_all_mentees: bool = False
    quotas: tuple[Quota, ...] = ()


class Problem(BaseModel):
    """A matching problem: both sides, the weights, the rules and the context.

    Focus areas and boroughs are resolved against the problem's own
    ``taxonomy`` and ``geography`` (default: the built-in policing topics and
    London), so another force or a charity elsewhere brings its own
    vocabularies and gets the same validation. ``scores`` adds the caller's
    own components (`CustomScore`); ``preferences`` adds soft preferences
    (`Preference`) and ``rank_scores`` scores from the people's own ranked
    lists (`RankScore`), each a named component with a weight.

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
    scores: tuple[CustomScore, ...] = ()
    preferences: tuple[Preference, ...] = ()
    rank_scores: tuple[RankScore, ...] = ()
    meeting_minutes: int = Field(60, gt=0, le=24 * 60, multiple_of=30)
    taxonomy: Taxonomy = Field(default_factory=default_taxonomy)
    geography: Geography = Field(default_factory=london)
    name: CleanStr = ""
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        errors: list[str] = []
        counts = Counter(p.id for p in (*self.mentors, *self.mentees))
        for pid, count in counts.items():
            if count > 1:
                errors.append(f"id {pid!r} is used {count} times; ids must be unique across mentors and mentees")
        for field, side in (("mentors", "mentor"), ("mentees", "mentee")):
            people = getattr(self, field)
            resolved = tuple(self._resolve(side, person, errors) for person in people)
            if any(a is not b for a, b in zip(resolved, people, strict=True)):
                object.__setattr__(self, field, resolved)  # canonical spellings, still validated values
        mentor_ids = {m.id for m in self.mentors}
        mentee_ids = {m.id for m in self.mentees}
        for field in ("forbidden_pairs", "required_pairs"):
            for mentor_id, mentee_id in getattr(self.rules, field):
                if mentor_id not in mentor_ids:
                    errors.append(f"rules.{field}: {mentor_id!r} is not a mentor id")
                if mentee_id not in mentee_ids:
                    errors.append(f"rules.{field}: {mentee_id!r} is not a mentee id")
        self._resolve_settings(errors)
        rules = self._check_rules(errors)
        preferences = self._check_preferences(errors)
        self._check_rankings(mentor_ids, mentee_ids, errors)
        aligned = self._align_scores(mentor_ids, mentee_ids, errors)
        own = Counter((*(p.name for p in self.preferences), *(r.name for r in self.rank_scores)))
        custom = {s.name for s in self.scores}
        for name, count in own.items():
            if count > 1 or name in custom:
                errors.append(f"component name {name!r} is used more than once (preferences, rank_scores, scores)")
        weight = math.fsum(self.component_weights().values()) if not errors else 1.0
        if weight <= 0:
            errors.append("at least one weight (built-in or of another component) must be positive")
        if errors:
            raise ValueError("; ".join(errors))
        object.__setattr__(self, "scores", aligned)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "preferences", preferences)
        return self

    def _known_topic(self, topic: str) -> str | None:
        return self.taxonomy.canonical(topic)

    def _check_rules(self, errors: list[str]) -> Rules:
        return check_rules(self.rules, self.mentors, self.mentees, self._known_topic, errors)

    def _check_preferences(self, errors: list[str]) -> tuple[Preference, ...]:
        return check_preferences(self.preferences, self.mentors, self.mentees, self._known_topic, errors)

    def _check_rankings(self, mentor_ids: set[str], mentee_ids: set[str], errors: list[str]) -> None:
        """Every ranked id is someone on the other side."""
        for side, people, others in (("mentor", self.mentors, mentee_ids), ("mentee", self.mentees, mentor_ids)):
            other = "mentee" if side == "mentor" else "mentor"
            for person in people:
                unknown = [pid for group in person.ranking for pid in group if pid not in others]
                if unknown:
                    shown = ", ".join(map(repr, unknown[:5])) + (
                        f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
                    )
                    errors.append(
                        f"{side} {person.id!r}: ranking: {shown} {'is' if len(unknown) == 1 else 'are'} not {other} ids"
                    )
        for k, rank_score in enumerate(self.rank_scores):
            people = self.mentors if rank_score.side == "mentor" else self.mentees
            if not any(p.ranking for p in people):
                errors.append(
                    f"rank_scores[{k}] ({rank_score.name!r}): no {rank_score.side} has a ranking, so the component "
                    "would score nothing"
                )

    def _resolve(self, side: str, person: Person, errors: list[str]) -> Person:
        """The person with focus areas and boroughs in the vocabularies' own spelling.

        A place written another way ("Stratford", "E17", "Met-wide") keeps
        that spelling in ``places_as_written``; a name spanning several
        places is an error listing them.
        """
        topics = []
        for topic in person.focus_areas:
            canonical = self.taxonomy.canonical(topic)
            if canonical is not None:
                topics.append(canonical)
            else:
                errors.append(_unknown(side, person.id, "focus_areas", topic, self.taxonomy.suggest(topic)))
        places: dict[str, str] = {}
        for given, written in zip(person.boroughs, person.places_as_written or person.boroughs, strict=True):
            match = self.geography.resolve(given)
            if match.place is not None:
                # A town, postcode or whole-area name is kept as written; another spelling of the
                # borough itself ("newham", "LB Newham") is not worth keeping.
                kept = written if match.kind in _KEPT_KINDS or written != given else match.place
                places.setdefault(match.place, kept)
            elif match.ambiguous:
                errors.append(
                    f"{side} {person.id!r}: boroughs: {given!r} lies in {', '.join(match.places)}; write the one meant"
                )
            else:
                hint = self.geography.suggestion(given)
                shown = f" - did you mean {hint.describe()}?" if hint is not None and hint.place else ""
                errors.append(f"{side} {person.id!r}: boroughs: unknown value {given!r}{shown}")
        topics_t, places_t = tuple(dict.fromkeys(topics)), tuple(places)
        written_t = tuple(places.values()) if any(w != p for p, w in places.items()) else ()
        if (topics_t, places_t, written_t) == (person.focus_areas, person.boroughs, person.places_as_written):
            return person
        return person.model_copy(update={"focus_areas": topics_t, "boroughs": places_t, "places_as_written": written_t})

    def _resolve_settings(self, errors: list[str]) -> None:
        """Quota values and attribute names in the rules name something real, in its canonical spelling."""
        values, problems = check_setting_values(
            self.rules, self.mentors, self.mentees, geography=self.geography, taxonomy=self.taxonomy
        )
        errors += [message for _, message in problems]
        quotas = tuple(
            q if value in (None, q.value) else q.model_copy(update={"value": value})
            for q, value in zip(self.rules.quotas, values, strict=True)
        )
        if quotas != self.rules.quotas:
            object.__setattr__(self, "rules", self.rules.model_copy(update={"quotas": quotas}))

    def _align_scores(self, mentor_ids: set[str], mentee_ids: set[str], errors: list[str]) -> tuple[CustomScore, ...]:
        """Custom scores in the problem's row and column order (matrices checked for shape and ids)."""
        out = []
        names = Counter(s.name for s in self.scores)
        for name, count in names.items():
            if count > 1:
                errors.append(f"scores: component name {name!r} is used {count} times")
        shape = (len(self.mentors), len(self.mentees))
        for k, component in enumerate(self.scores):
            where = f"scores[{k}] ({component.name!r})"
            if component.matrix is not None:
                matrix = component.matrix
                if component.mentor_ids is None and component.mentee_ids is None:
                    if matrix.shape != shape:
                        errors.append(
                            f"{where}: matrix has shape {matrix.shape}, expected {shape} (n_mentors, n_mentees)"
                        )
                    out.append(component)
                    continue
                rows = _positions(
                    component.mentor_ids, [m.id for m in self.mentors], matrix.shape[0], f"{where}: mentor_ids", errors
                )
                cols = _positions(
                    component.mentee_ids, [m.id for m in self.mentees], matrix.shape[1], f"{where}: mentee_ids", errors
                )
                if rows is not None and cols is not None:
                    out.append(
                        component.model_copy(
                            update={
                                "matrix": _readonly(matrix[np.ix_(rows, cols)]),
                                "mentor_ids": None,
                                "mentee_ids": None,
                            }
                        )
                    )
                continue
            if component.arcs is not None:
                for what, positions, size, side in (
                    ("rows", component.arcs[0], shape[0], "mentors"),
                    ("cols", component.arcs[1], shape[1], "mentees"),
                ):
                    if len(positions) and int(positions.max()) >= size:
                        k = int(np.argmax(positions))
                        errors.append(f"{where}: arcs {what}[{k}] is {positions[k]}, but there are {size} {side}")
            if component.entries is not None:
                for mentor_id, mentee_id, _ in component.entries:
                    if mentor_id not in mentor_ids:
                        errors.append(f"{where}: entries name {mentor_id!r}, which is not a mentor id")
                    if mentee_id not in mentee_ids:
                        errors.append(f"{where}: entries name {mentee_id!r}, which is not a mentee id")
            out.append(component)
        return tuple(out)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Problem:
        """A copy with ``update`` applied and validated again.

        pydantic's own ``model_copy`` skips validation; a problem's fields
        depend on each other (people against the vocabularies, rules and
        custom scores against the ids), so an update is checked as a whole.
        """
        if not update:
            return super().model_copy(deep=deep)
        return type(self).model_validate({**{name: getattr(self, name) for name in type(self).model_fields}, **update})

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        return len(self.mentors), len(self.mentees)

    @property
    def component_names(self) -> tuple[str, ...]:
        """Score components that count: built-ins with a positive weight, then preferences,
        rank scores and custom components (whatever their weight)."""
        weights = self.weights.as_dict()
        return (
            *(c for c in BUILT_IN_COMPONENTS if weights[c] > 0),
            *(p.name for p in self.preferences),
            *(r.name for r in self.rank_scores),
            *(s.name for s in self.scores),
        )

    def component_weights(self) -> dict[str, float]:
        """Weight of every component that counts, in `component_names` order.

        >>> from pairmatch.examples import pilot_problem
        >>> pilot_problem().component_weights()
        {'focus': 0.5, 'borough': 0.3, 'availability': 0.2}
        """
        weights = self.weights.as_dict()
        return {
            **{c: weights[c] for c in BUILT_IN_COMPONENTS if weights[c] > 0},
            **{p.name: float(p.weight) for p in self.preferences},
            **{r.name: float(r.weight) for r in self.rank_scores},
            **{s.name: float(s.weight) for s in self.scores},
        }

    def _cached(self, key: str, source: tuple[Person, ...], build: Any) -> Any:
        """``build(source)``, computed once per tuple of people. The cache is checked
        against the very tuple it was built from, so `model_copy` with new
        people never sees a stale value."""
        cache = self.__dict__.setdefault("__pairmatch_cache__", {})
        hit = cache.get(key)
        if hit is None or hit[0] is not source:
            hit = cache[key] = (source, build(source))
        return hit[1]

    def mentor_index(self) -> dict[str, int]:
        """Mentor id -> row (built once per problem; do not modify)."""
        return self._cached("mentor_index", self.mentors, lambda ps: {p.id: i for i, p in enumerate(ps)})

    def mentee_index(self) -> dict[str, int]:
        """Mentee id -> column (built once per problem; do not modify)."""
        return self._cached("mentee_index", self.mentees, lambda ps: {p.id: j for j, p in enumerate(ps)})

    def locate(self, person_id: str) -> tuple[Literal["mentor", "mentee"], int]:
        """``(side, position)`` of a person; raises ``KeyError`` for an unknown id."""
        mentors, mentees = self.mentor_index(), self.mentee_index()
        if person_id in mentors:
            return "mentor", mentors[person_id]
        if person_id in mentees:
            return "mentee", mentees[person_id]
        raise KeyError(f"no mentor or mentee has id {person_id!r}")

    def person(self, person_id: str) -> Person:
        """The mentor or mentee with this id."""
        side, k = self.locate(person_id)
        return self.mentors[k] if side == "mentor" else self.mentees[k]

    @property
    def mentor_table(self) -> PeopleTable:
        """All mentors as a `PeopleTable` (what score functions receive, in blocks)."""
        return self._cached("mentor_table", self.mentors, PeopleTable.of)

    @property
    def mentee_table(self) -> PeopleTable:
        """All mentees as a `PeopleTable`."""
        return self._cached("mentee_table", self.mentees, PeopleTable.of)

    @classmethod
    def from_preferences(
        cls,
        mentor_rankings: Mapping[str, Any],
        mentee_rankings: Mapping[str, Any],
        *,
        mentor_capacity: int | Mapping[str, int] = 1,
        mentee_capacity: int | Mapping[str, int] = 1,
        mentor_attributes: Mapping[str, Mapping[str, AttributeValue]] | None = None,
        mentee_attributes: Mapping[str, Mapping[str, AttributeValue]] | None = None,
        rules: Rules | None = None,
        name: str = "",
    ) -> Problem:
        """A problem made of the two sides' own ranked lists, for stable matching by preferences.

        ``mentor_rankings`` maps each mentor id to their ranking of mentees
        (``"E2 > E1 = E3"``, or a list whose items are ids or lists of tied ids;
        see `pairmatch.preferences`), ``mentee_rankings`` likewise. Everyone who
        has a list or is on one takes part; lists may be incomplete (a partner
        not listed is unacceptable to the stable objective). Capacities are one
        number for everyone or a mapping by id (default 1).

        The scores are the rank scores ``mentor_rank`` and ``mentee_rank``
        (1 / rank, weight 1, for each side that ranks), so every objective
        runs; ``SolveParams(objective="stable")`` matches by the lists
        themselves, with either side proposing (``proposer``).

        Examples
        --------
        >>> p = Problem.from_preferences({"H1": "R2 > R1"}, {"R1": ["H1"], "R2": ["H1"]}, mentor_capacity=2)
        >>> p.shape, p.mentors[0].ranking, p.component_names
        ((1, 2), (('R2',), ('R1',)), ('mentor_rank', 'mentee_rank'))
        """
        mentor_lists = {str(k): parse_ranking(v) for k, v in mentor_rankings.items()}
        mentee_lists = {str(k): parse_ranking(v) for k, v in mentee_rankings.items()}
        if not any(mentor_lists.values()) and not any(mentee_lists.values()):
            raise ValueError("no one ranked anyone: give at least one non-empty ranking")
        mentor_attributes, mentee_attributes = mentor_attributes or {}, mentee_attributes or {}
        mentors = tuple(
            Mentor(
                id=pid,
                ranking=mentor_lists.get(pid, ()),
                max_partners=_capacity_of(mentor_capacity, pid),
                attributes=dict(mentor_attributes.get(pid, {})),
            )
            for pid in _ids_in_order(mentor_lists, mentee_lists)
        )
        mentees = tuple(
            Mentee(
                id=pid,
                ranking=mentee_lists.get(pid, ()),
                max_partners=_capacity_of(mentee_capacity, pid),
                attributes=dict(mentee_attributes.get(pid, {})),
            )
            for pid in _ids_in_order(mentee_lists, mentor_lists)
        )
        rank_scores = tuple(
            RankScore(name=f"{side}_rank", side=side, description=f"{side}'s own ranking")
            for side, lists in (("mentor", mentor_lists), ("mentee", mentee_lists))
            if any(lists.values())
        )
        return cls(
            mentors=mentors,
            mentees=mentees,
            weights=Weights(focus=0, borough=0, availability=0),
            rank_scores=rank_scores,
            rules=rules or Rules(),
            name=name,
        )

    @classmethod
    def from_matrix(
        cls,
        scores: Any,
        mentor_ids: Any,
        mentee_ids: Any,
        *,
        name: str = "score",
        description: str = "",
        mentor_capacity: int | Any = 1,
        mentee_capacity: int | Any = 1,
        rules: Rules | None = None,
        allowed: Any = None,
        minimise: bool = False,
    ) -> Problem:
        """A problem made of a score matrix and the people's ids, for callers who only want the optimiser.

        ``scores[i][j]`` (finite, >= 0) is the value of pairing mentor
        ``mentor_ids[i]`` with mentee ``mentee_ids[j]``; it becomes the only
        score component (``name``, weight 1). Capacities are one number for
        everyone or one per person. ``allowed`` (a boolean matrix of the same
        shape) keeps only its true pairs as candidates, and ``minimise``
        reads the matrix as costs; both go through `from_arcs`.

        Examples
        --------
        >>> p = Problem.from_matrix([[0.9, 0.1], [0.4, 0.8]], ["a", "b"], ["x", "y"])
        >>> p.component_names, p.shape
        (('score',), (2, 2))
        """
        if allowed is not None or minimise:
            values = np.asarray(scores)
            if values.ndim != 2:
                raise ValueError(f"scores must be a 2-dimensional matrix, got shape {values.shape}")
            mask = np.ones(values.shape, dtype=bool) if allowed is None else np.asarray(allowed)
            if mask.dtype != bool or mask.shape != values.shape:
                raise ValueError(
                    f"allowed must be a boolean matrix of shape {values.shape}, got {mask.dtype} {mask.shape}"
                )
            rows, cols = np.nonzero(mask)
            return cls.from_arcs(
                mentor_ids,
                mentee_ids,
                rows,
                cols,
                values[rows, cols],
                name=name,
                description=description,
                mentor_capacity=mentor_capacity,
                mentee_capacity=mentee_capacity,
                rules=rules,
                minimise=minimise,
            )
        mentor_ids = [str(x) for x in mentor_ids]
        mentee_ids = [str(x) for x in mentee_ids]
        mentor_caps = _capacities(mentor_capacity, len(mentor_ids), "mentor_capacity")
        mentee_caps = _capacities(mentee_capacity, len(mentee_ids), "mentee_capacity")
        return cls(
            mentors=_bare_people(Mentor, mentor_ids, mentor_caps),
            mentees=_bare_people(Mentee, mentee_ids, mentee_caps),
            weights=Weights(focus=0, borough=0, availability=0),
            scores=(CustomScore(name=name, weight=1.0, description=description, matrix=scores),),
            rules=rules or Rules(),
        )

    @classmethod
    def from_arcs(
        cls,
        mentor_ids: Any,
        mentee_ids: Any,
        rows: Any,
        cols: Any,
        values: Any,
        *,
        minimise: bool = False,
        name: str = "score",
        description: str = "",
        mentor_capacity: int | Any = 1,
        mentee_capacity: int | Any = 1,
        rules: Rules | None = None,
    ) -> Problem:
        """A problem made of a sparse list of candidate pairs, for callers who already have one.

        Pair ``k`` is mentor ``mentor_ids[rows[k]]`` with mentee
        ``mentee_ids[cols[k]]``, worth ``values[k]`` (finite, >= 0); these
        are the **only** candidates (every other pair is ruled out by the
        rule "not a listed pair"), and they stay in arrays end to end: the
        solver's graph is the listed pairs, so nothing scales with
        ``len(mentor_ids) * len(mentee_ids)``. Capacities and ``rules`` are
        as in `from_matrix`.

        ``minimise=True`` reads ``values`` as **costs** and asks for what
        `scipy.optimize.linear_sum_assignment` computes: everyone on the
        smaller side matched (``match_all_mentors`` or ``match_all_mentees``;
        `pairmatch.InfeasibleProblemError` with the reason when the listed
        pairs cannot do it), at the least total cost. The score of a pair is
        then ``top - cost``, where ``top = max(values)``, so a matching's cost
        is ``len(pairs) * top - objective``. It needs one-to-one capacities.

        Examples
        --------
        >>> p = Problem.from_arcs(["a", "b"], ["x", "y"], [0, 0, 1], [0, 1, 0], [4, 1, 3], minimise=True)
        >>> from pairmatch import solve
        >>> r = solve(p)
        >>> sorted((q.mentor_id, q.mentee_id) for q in r.pairs), len(r.pairs) * 4 - r.objective
        ([('a', 'y'), ('b', 'x')], 4.0)
        """
        mentor_ids = [str(x) for x in mentor_ids]
        mentee_ids = [str(x) for x in mentee_ids]
        mentor_caps = _capacities(mentor_capacity, len(mentor_ids), "mentor_capacity")
        mentee_caps = _capacities(mentee_capacity, len(mentee_ids), "mentee_capacity")
        given = np.asarray(values)
        if given.dtype.kind not in "biuf":
            raise ValueError(f"values must hold numbers, got dtype {given.dtype}")
        given = given.astype(np.float64)
        rules = rules or Rules()
        if minimise:
            if max(mentor_caps, default=1) > 1 or max(mentee_caps, default=1) > 1:
                raise ValueError("minimise=True needs one-to-one capacities (at most 1 partner each)")
            if given.size and not np.isfinite(given).all():
                raise ValueError("values (costs) hold NaN or infinite values; leave a pair out instead")
            top = float(given.max()) if given.size else 0.0
            given = top - given  # a lowest cost is a highest score; negative costs shift with the rest
            m, n = len(mentor_ids), len(mentee_ids)
            rules = rules.model_copy(
                update={
                    "match_all_mentors": rules.match_all_mentors or m <= n,
                    "match_all_mentees": rules.match_all_mentees or n <= m,
                }
            )
            description = description or f"{top:g} minus the cost"
        component = CustomScore(
            name=name,
            weight=1.0,
            description=description,
            arcs=(rows, cols, given),
            only_listed=True,
        )
        return cls(
            mentors=_bare_people(Mentor, mentor_ids, mentor_caps),
            mentees=_bare_people(Mentee, mentee_ids, mentee_caps),
            weights=Weights(focus=0, borough=0, availability=0),
            scores=(component,),
            rules=rules,
        )

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return display.short_repr(
            "Problem",
            repr(self.name) if self.name else "",
            display.plural(len(self.mentors), "mentor"),
            display.plural(len(self.mentees), "mentee"),
            "components " + ", ".join(self.component_names),
        )

    def _repr_html_(self) -> str:
        """Counts, weights, rules and vocabularies, then a preview of each side."""
        weights = {
            **{c: w for c, w in self.weights.as_dict().items() if w > 0},
            **{s.name: s.weight for s in self.scores},
        }
        rules = self.rules.model_dump(exclude_defaults=True)
        quotas = [q.describe() for q in self.rules.quotas]
        items = [
            ("people", f"{len(self.mentors):,} mentors, {len(self.mentees):,} mentees"),
            ("weights", weights),
            ("rules", {**rules, "quotas": quotas} if quotas else rules or "none"),
            ("meeting", f"{self.meeting_minutes} minutes"),
            ("geography", repr(self.geography)),
            ("taxonomy", repr(self.taxonomy)),
        ]
        sides = [
            display.table(
                (*PERSON_COLUMNS[:-2], "partners"),
                (_person_cells(p) for p in people),
                total=len(people),
                caption=f"{side.capitalize()}s ({len(people):,})",
                what=side,
            )
            for side, people in (("mentor", self.mentors), ("mentee", self.mentees))
        ]
        lines = [self.description] if self.description else []
        return display.card(f"Problem {self.name}".rstrip(), display.fields(items), *sides, lines=lines)

    def to_frames(self) -> tuple[Any, Any]:
        """Mentors and mentees as two pandas DataFrames in the column layout, the inverse of
        `pairmatch.problem_from_frames` (needs the ``io`` extra).

        Columns: `PERSON_COLUMNS` (lists joined with ``"; "``, as in a spreadsheet), then
        one column per free attribute (empty where a person has none).

        >>> import pairmatch as pm
        >>> mentors, mentees = pm.pilot_problem().to_frames()
        >>> list(mentors.columns[:4]), len(mentees)
        (['id', 'name', 'focus_areas', 'boroughs'], 3)
        >>> again = pm.problem_from_frames(mentors, mentees)
        >>> again.mentors == pm.pilot_problem().mentors
        True
        """
        pandas = require("pandas", "io", "Problem.to_frames()")
        return tuple(people_frame(pandas, side) for side in (self.mentors, self.mentees))


def _person_cells(person: Person) -> tuple[Any, ...]:
    partners = f"{person.min_partners}-{person.max_partners}" if person.min_partners else f"≤ {person.max_partners}"
    return (person.id, person.name or "", person.focus_areas, person.boroughs, person.availability, partners)


def person_row(
    person: Person, attributes: tuple[str, ...] | list[str], missing: Any = None, *, ranked: bool = False
) -> tuple[Any, ...]:
    """One person in the column layout: `PERSON_COLUMNS` (lists joined with ``"; "``), with
    ``ranked`` the ``ranking`` (``M3 > M1 = M2``), then the value of each of ``attributes``
    (``missing`` where the person has none)."""
    return (
        person.id,
        person.name or "",
        "; ".join(person.focus_areas),
        "; ".join(person.boroughs),
        "; ".join(person.availability),
        person.min_partners,
        person.max_partners,
        *([format_ranking(person.ranking)] if ranked else []),
        *(person.attributes.get(a, missing) for a in attributes),
    )


def people_frame(pandas: Any, people: tuple[Person, ...]) -> Any:
    """People as a DataFrame in the column layout (see `Problem.to_frames`); a ``ranking`` column
    when someone ranks."""
    extra = list(dict.fromkeys(a for p in people for a in p.attributes))
    ranked = any(p.ranking for p in people)
    columns = (*PERSON_COLUMNS, *(["ranking"] if ranked else []), *extra)
    return display.frame(pandas, columns, (person_row(p, extra, ranked=ranked) for p in people))


def check_rules(
    rules: Rules,
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    known_topic: Callable[[str], str | None],
    errors: list[str],
) -> Rules:
    """Add to ``errors`` every must-match, eligibility or conditional rule that reads attributes or
    topics and would match nothing among these people, each message starting with the setting
    (``rules.require[0].equals: ...``; quotas and ``forbid_same`` are `check_setting_values`'s);
    returns the rules with topics in the taxonomy's spelling (``known_topic`` gives it)."""
    for k, name in enumerate(rules.require_same):
        if name not in PLACE_KEYS:
            attribute_problems(name, mentors, mentees, f"rules.require_same[{k}]", errors)
    for k, requirement in enumerate(rules.require):
        side = mentors if requirement.side == "mentor" else mentees
        condition_problems(requirement, requirement.side, side, f"rules.require[{k}]", errors)
    conditional = []
    for k, rule in enumerate(rules.conditional):
        when = pair_test_problems(
            rule.when, rule.then, mentors, mentees, known_topic, f"rules.conditional[{k}]", errors
        )
        conditional.append(rule if when is rule.when else rule.model_copy(update={"when": when}))
    if all(a is b for a, b in zip(conditional, rules.conditional, strict=True)):
        return rules
    return rules.model_copy(update={"conditional": tuple(conditional)})


def check_preferences(
    preferences: Sequence[Preference],
    mentors: Sequence[Person],
    mentees: Sequence[Person],
    known_topic: Callable[[str], str | None],
    errors: list[str],
) -> tuple[Preference, ...]:
    """`check_rules` for soft preferences (``preferences[0].when.mentor[0]: ...``)."""
    out = []
    for k, preference in enumerate(preferences):
        when = pair_test_problems(
            preference.when, preference.then, mentors, mentees, known_topic, f"preferences[{k}]", errors
        )
        out.append(preference if when is preference.when else preference.model_copy(update={"when": when}))
    return tuple(out)


def _ids_in_order(own: Mapping[str, Any], others: Mapping[str, Ranking]) -> list[str]:
    """The people of one side: those with a list of their own, then those only the other side ranks."""
    out = dict.fromkeys(str(k) for k in own)
    for ranking in others.values():
        for group in ranking:
            out.update(dict.fromkeys(group))
    return list(out)


def _capacity_of(value: int | Mapping[str, int], pid: str) -> int:
    return int(value) if isinstance(value, int) else int(value.get(pid, 1))


PersonT = TypeVar("PersonT", bound="Person")


def _bare_people(kind: type[PersonT], ids: list[str], capacities: list[int]) -> tuple[PersonT, ...]:
    """People with an id and a capacity only, checked as their model checks those two fields but
    built without a model validation each (`Problem.from_matrix` and `from_arcs` take tens of
    thousands): ids through `clean_text`, stripped and non-empty; capacities >= 0."""
    side = kind.__name__.lower()
    template = kind(id=side)  # every other field at its validated default
    out = []
    for pid, capacity in zip(ids, capacities, strict=True):
        try:
            clean = clean_text(pid).strip()
        except TextError as err:
            raise ValueError(f"{side} id {printable(pid)!r}: {err}") from None
        if not clean:
            raise ValueError(f"{side} id {pid!r} is empty")
        if capacity < 0:
            raise ValueError(f"{side} {clean!r}: max_partners {capacity} is negative")
        out.append(template.model_copy(update={"id": clean, "max_partners": capacity, "attributes": {}}))
    return tuple(out)


def _capacities(value: Any, n: int, what: str) -> list[int]:
    values = [value] * n if isinstance(value, int) else list(value)
    if len(values) != n:
        raise ValueError(f"{what}: {len(values)} values for {n} people")
    return [int(v) for v in values]


def _positions(
    ids: tuple[str, ...] | None, order: list[str], size: int, where: str, errors: list[str]
) -> np.ndarray | None:
    """Positions in a labelled matrix of the problem's people, in the problem's order."""
    if ids is None:
        if size != len(order):
            errors.append(f"{where.rsplit(':', 1)[0]}: {size} unlabelled rows or columns for {len(order)} people")
            return None
        return np.arange(size)
    where_id = {pid: k for k, pid in enumerate(ids)}
    missing = [pid for pid in order if pid not in where_id]
    unknown = sorted(set(ids) - set(order))
    if len(where_id) != len(ids):
        errors.append(f"{where}: some ids appear twice")
    if missing:
        errors.append(
            f"{where}: no values for {', '.join(map(repr, missing[:5]))}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        )
    if unknown:
        errors.append(f"{where}: {', '.join(map(repr, unknown[:5]))} not in the problem")
    if missing or unknown or len(where_id) != len(ids):
        return None
    return np.array([where_id[pid] for pid in order], dtype=np.int64)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _unknown(side: str, pid: str, field: str, value: str, suggestion: str | None) -> str:
    hint = f" - did you mean {suggestion!r}?" if suggestion else ""
    return f"{side} {pid!r}: {field}: unknown value {value!r}{hint}"
