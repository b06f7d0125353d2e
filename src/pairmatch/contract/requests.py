"""Request documents of the JSON contract: what other programme systems send.

One pydantic model per document; the command line, the HTTP service and
`pairmatch.contract.match` all parse requests with these models.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..consent import ProposalState
from ..custom_scores import CustomScore
from ..datasets import default_taxonomy, london
from ..exceptions import PairmatchError
from ..geography import Geography
from ..geography_document import GeographySpec
from ..models import Mentee, Mentor, Problem, Rules
from ..params import SolveParams, Weights
from ..preferences import Preference, RankScore
from ..rematching import Changes
from ..setting_values import check_setting_values
from ..taxonomy import Taxonomy
from ..text import CleanStr

# The vocabulary documents, under the names the contract's schemas give them.
from ..vocabulary_documents import EdgeSpec as EdgeSpec
from ..vocabulary_documents import TaxonomySpec

SCHEMA_VERSION = "1.0"


MAJOR_VERSION = SCHEMA_VERSION.split(".")[0]


CLOSED = ConfigDict(extra="forbid", frozen=True)


RequestT = TypeVar("RequestT", bound=BaseModel)


def supported_version(value: str) -> str:
    """``value`` if this pairmatch reads documents of that schema version (same major), else ``ValueError``."""
    if value.split(".")[0] != MAJOR_VERSION:
        raise ValueError(f"schema_version {value!r} is not supported; this pairmatch speaks {SCHEMA_VERSION}")
    return value


class EntrySpec(BaseModel):
    """One pair's value of a custom score."""

    model_config = CLOSED
    mentor_id: CleanStr
    mentee_id: CleanStr
    value: float = Field(ge=0, allow_inf_nan=False)


class ScoreSpec(BaseModel):
    """A custom score component: a matrix (rows = mentors, columns = mentees) or entries."""

    model_config = CLOSED
    name: str
    weight: float = Field(1.0, ge=0, allow_inf_nan=False)
    description: str = ""
    matrix: list[list[float]] | None = None
    mentor_ids: list[CleanStr] | None = Field(None, description="labels of the matrix rows (default: request order)")
    mentee_ids: list[CleanStr] | None = Field(None, description="labels of the matrix columns (default: request order)")
    entries: list[EntrySpec] | None = None
    default: float = Field(0.0, ge=0, allow_inf_nan=False, description="value of pairs not in entries")
    only_listed: bool = Field(False, description="the pairs in entries are the only candidates")
    max_value: float | None = Field(None, gt=0, allow_inf_nan=False)

    def to_custom(self, *, recorded: bool = False) -> CustomScore:
        """The component; ``recorded`` accepts the names pairmatch gives its own components (a stored
        run's request holds them), which a caller's request may not use."""
        entries = None if self.entries is None else [(e.mentor_id, e.mentee_id, e.value) for e in self.entries]
        build = CustomScore.added_by_pairmatch if recorded else CustomScore
        return build(
            name=self.name,
            weight=self.weight,
            description=self.description,
            matrix=self.matrix,
            mentor_ids=self.mentor_ids,
            mentee_ids=self.mentee_ids,
            entries=entries,
            default=self.default,
            only_listed=self.only_listed,
            max_value=self.max_value,
        )

    @classmethod
    def from_custom(cls, score: CustomScore, problem: Problem | None = None) -> ScoreSpec:
        """The JSON form of ``score``; pairs listed by position (``arcs``) are written as
        entries by id, which needs their ``problem``."""
        if score.function is not None:
            raise PairmatchError(
                f"custom score {score.name!r} is a Python function; JSON carries only matrices and entries"
            )
        entries = score.entries
        if score.arcs is not None:
            if problem is None:
                raise PairmatchError(f"custom score {score.name!r} lists pairs by position: give its problem")
            rows, cols, values = (part.tolist() for part in score.arcs)
            mentors, mentees = problem.mentors, problem.mentees
            entries = tuple((mentors[i].id, mentees[j].id, v) for i, j, v in zip(rows, cols, values, strict=True))
        return cls(
            name=score.name,
            weight=score.weight,
            description=score.description,
            matrix=None if score.matrix is None else score.matrix.tolist(),
            entries=None if entries is None else [EntrySpec(mentor_id=m, mentee_id=e, value=v) for m, e, v in entries],
            default=score.default,
            only_listed=score.only_listed,
            max_value=score.max_value,
        )


class MatchRequest(BaseModel):
    """Everything a solve needs, as plain JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch match request"})
    schema_version: str = SCHEMA_VERSION
    name: CleanStr = ""
    description: str = ""
    mentors: list[Mentor]
    mentees: list[Mentee]
    weights: Weights = Weights()
    rules: Rules = Rules()
    scores: list[ScoreSpec] = []
    preferences: list[Preference] = Field([], description="soft preferences, each a named score component")
    rank_scores: list[RankScore] = Field([], description="score components from the people's own rankings")
    meeting_minutes: StrictInt = Field(60, gt=0, le=24 * 60, multiple_of=30)
    geography: GeographySpec | None = Field(None, description="default: the 32 London boroughs and the City")
    taxonomy: TaxonomySpec | None = Field(None, description="default: the built-in policing topics")
    params: SolveParams = SolveParams()
    explain: StrictBool = Field(True, description="include the facts behind every pair")

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        return supported_version(value)

    def to_problem(self, *, recorded: bool = False) -> Problem:
        """The `Problem` this request describes (raises ``ValidationError`` naming the field).

        Unknown topics and places, repeated ids and rules naming unknown
        people are reported with their path in the request (e.g.
        ``["mentors", 0, "boroughs", 1]``), all at once. ``recorded`` is for
        requests pairmatch stored itself, which may hold its own components
        (`pairmatch.custom_scores.RESERVED_COMPONENTS`).
        """
        geography = london() if self.geography is None else Geography.from_spec(self.geography)
        taxonomy = default_taxonomy() if self.taxonomy is None else Taxonomy.from_spec(self.taxonomy)
        errors = self._located_errors(geography, taxonomy)
        scores = []
        for k, spec in enumerate(self.scores):
            try:
                scores.append(spec.to_custom(recorded=recorded))
            except ValidationError as err:  # located at the component in the request
                errors += [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", str(e["msg"])), loc=("scores", k, *e["loc"]), input=None
                    )
                    for e in err.errors()
                ]
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return Problem(
            mentors=tuple(self.mentors),
            mentees=tuple(self.mentees),
            weights=self.weights,
            rules=self.rules,
            scores=tuple(scores),
            preferences=tuple(self.preferences),
            rank_scores=tuple(self.rank_scores),
            meeting_minutes=self.meeting_minutes,
            name=self.name,
            description=self.description,
            geography=geography,
            taxonomy=taxonomy,
        )

    def _located_errors(self, geography: Geography, taxonomy: Taxonomy) -> list[InitErrorDetails]:
        """The problems `Problem` would report in one message, each at its place in the request."""
        errors: list[InitErrorDetails] = []

        def add(loc: tuple[str | int, ...], kind: str, message: str) -> None:
            errors.append(InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=None))

        first: dict[str, tuple[str, int]] = {}
        for field in ("mentors", "mentees"):
            for i, person in enumerate(getattr(self, field)):
                if person.id in first:
                    where = first[person.id]
                    add(
                        (field, i, "id"),
                        "duplicate_id",
                        f"id {person.id!r} is already used by {where[0]}[{where[1]}]; ids must be unique across "
                        "mentors and mentees",
                    )
                first.setdefault(person.id, (field, i))
                for k, topic in enumerate(person.focus_areas):
                    if topic not in taxonomy:
                        add(
                            (field, i, "focus_areas", k),
                            "unknown_value",
                            f"unknown focus area {topic!r}{_hint(taxonomy.suggest(topic))}",
                        )
                for k, place in enumerate(person.boroughs):
                    if geography.canonical(place) is None:
                        add(
                            (field, i, "boroughs", k),
                            "unknown_value",
                            f"unknown place {place!r}{_hint(geography.suggest(place))}",
                        )
        _, settings = check_setting_values(
            self.rules, self.mentors, self.mentees, geography=geography, taxonomy=taxonomy
        )
        for loc, message in settings:
            add(loc, "unknown_value", message)
        mentor_ids, mentee_ids = {m.id for m in self.mentors}, {m.id for m in self.mentees}
        for rule in ("forbidden_pairs", "required_pairs"):
            for k, (mentor_id, mentee_id) in enumerate(getattr(self.rules, rule)):
                if mentor_id not in mentor_ids:
                    add(("rules", rule, k, 0), "unknown_id", f"{mentor_id!r} is not a mentor id")
                if mentee_id not in mentee_ids:
                    add(("rules", rule, k, 1), "unknown_id", f"{mentee_id!r} is not a mentee id")
        return errors

    @classmethod
    def from_problem(
        cls, problem: Problem, params: SolveParams | None = None, *, explain: bool = True, vocabularies: bool = True
    ) -> MatchRequest:
        """The request for ``problem`` (its geography and taxonomy included when ``vocabularies``)."""
        return cls(
            name=problem.name,
            description=problem.description,
            mentors=list(problem.mentors),
            mentees=list(problem.mentees),
            weights=problem.weights,
            rules=problem.rules,
            scores=[ScoreSpec.from_custom(s, problem) for s in problem.scores],
            preferences=list(problem.preferences),
            rank_scores=list(problem.rank_scores),
            meeting_minutes=problem.meeting_minutes,
            geography=GeographySpec(**problem.geography.to_dict()) if vocabularies else None,
            taxonomy=TaxonomySpec(**problem.taxonomy.to_dict()) if vocabularies else None,
            params=params or SolveParams(),
            explain=explain,
        )


def _hint(suggestion: str | None) -> str:
    return f" - did you mean {suggestion!r}?" if suggestion else ""


class ExplainRequest(MatchRequest):
    """A match request plus the one pair or one person to explain.

    The request is solved as `match` would solve it; then either ``pair``
    (a mentor id and a mentee id, proposed or not) or ``person`` (anyone's id)
    is explained from the solver's own scores.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch explain request"})
    pair: tuple[CleanStr, CleanStr] | None = Field(
        None, description="[mentor_id, mentee_id]: explain this pair, and if it was not proposed, why not"
    )
    person: CleanStr | None = Field(
        None,
        description="a mentor's or mentee's id: explain their partners, or why they "
        "have none, and their best alternatives",
    )
    alternatives: StrictInt = Field(3, ge=0, le=50, description="how many next-best partners to list for a person")

    @field_validator("pair")
    @classmethod
    def _known_pair(cls, value: tuple[str, str] | None, info: ValidationInfo) -> tuple[str, str] | None:
        if value is None or "mentors" not in info.data or "mentees" not in info.data:
            return value
        mentor_id, mentee_id = value
        if mentor_id not in {m.id for m in info.data["mentors"]}:
            raise ValueError(f"no mentor has id {mentor_id!r}")
        if mentee_id not in {m.id for m in info.data["mentees"]}:
            raise ValueError(f"no mentee has id {mentee_id!r}")
        return value

    @field_validator("person")
    @classmethod
    def _known_person(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or "mentors" not in info.data or "mentees" not in info.data:
            return value
        if value not in {p.id for p in (*info.data["mentors"], *info.data["mentees"])}:
            raise ValueError(f"no mentor or mentee has id {value!r}")
        return value

    @model_validator(mode="after")
    def _one_subject(self) -> ExplainRequest:
        if (self.pair is None) == (self.person is None):
            raise ValueError("give exactly one of 'pair' ([mentor_id, mentee_id]) or 'person' (an id)")
        return self


class RematchRequest(MatchRequest):
    """A running programme to re-match: the programme as it was, the pairs working now, what changed.

    The match request's people, weights and rules describe the programme
    when the current pairs were made; ``leave``, ``join_mentors``,
    ``join_mentees``, ``ended`` and ``locked`` say what happened since.
    ``move_penalty`` is the score a re-match must gain for each working pair
    it breaks (absent: every working pair is kept, only the people affected
    get new partners; 0: re-optimise everything). See `pairmatch.rematching`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch rematch request"})
    current: list[tuple[CleanStr, CleanStr]] = Field(description="the pairs working now, [mentor_id, mentee_id]")
    leave: list[CleanStr] = Field([], description="ids of people leaving the programme")
    join_mentors: list[Mentor] = Field([], description="mentors joining")
    join_mentees: list[Mentee] = Field([], description="mentees joining")
    ended: list[tuple[CleanStr, CleanStr]] = Field(
        [], description="current pairs the coordinator ended (never proposed again)"
    )
    locked: list[tuple[CleanStr, CleanStr]] = Field([], description="current pairs that must stay as they are")
    declined: list[tuple[CleanStr, CleanStr]] = Field(
        [], description="proposed pairs someone declined: both are free, the pair is not proposed again"
    )
    expired: list[tuple[CleanStr, CleanStr]] = Field(
        [], description="proposed pairs nobody accepted in time: both are free, the pair is not proposed again"
    )
    repropose_declined: bool = Field(False, description="allow declined and expired pairs to be proposed again")
    move_penalty: Annotated[float, Strict()] | None = Field(
        None, ge=0, allow_inf_nan=False, description="score per moved working pair; absent: keep every working pair"
    )

    def to_changes(self) -> Changes:
        """The `Changes` this request describes (raises ``ValidationError`` naming each wrong id or pair)."""
        errors: list[InitErrorDetails] = []

        def add(loc: tuple[str | int, ...], message: str) -> None:
            errors.append(InitErrorDetails(type=PydanticCustomError("unknown_id", message), loc=loc, input=None))

        mentors, mentees = {m.id for m in self.mentors}, {m.id for m in self.mentees}
        for k, (mentor_id, mentee_id) in enumerate(self.current):
            if mentor_id not in mentors:
                add(("current", k, 0), f"{mentor_id!r} is not a mentor id")
            if mentee_id not in mentees:
                add(("current", k, 1), f"{mentee_id!r} is not a mentee id")
        for k, pid in enumerate(self.leave):
            if pid not in mentors and pid not in mentees:
                add(("leave", k), f"{pid!r} is not a mentor or mentee id")
        now, leaving = set(self.current), set(self.leave)
        for field in ("ended", "locked", "declined", "expired"):
            for k, pair in enumerate(getattr(self, field)):
                if pair not in now:
                    add((field, k), f"{list(pair)!r} is not a current pair")
                elif field == "locked" and (
                    pair in {*self.ended, *self.declined, *self.expired} or leaving & set(pair)
                ):
                    add((field, k), f"{list(pair)!r} is ended or someone in it leaves; it cannot be locked")
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return Changes(
            leave=tuple(self.leave),
            join=(*self.join_mentors, *self.join_mentees),
            ended=tuple(self.ended),
            locked=tuple(self.locked),
            declined=tuple(self.declined),
            expired=tuple(self.expired),
        )


class RespondRequest(BaseModel):
    """An answer to a proposed pair (see `pairmatch.consent`): the proposal as the caller keeps it, and the answer.

    ``by`` is the mentor's or the mentee's id (absent: the answer is both
    people's); ``at`` is when it was given (absent: now).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch respond request"})
    schema_version: str = SCHEMA_VERSION
    proposal: ProposalState
    accept: bool = Field(description="true: accept; false: decline")
    by: str | None = Field(None, description="who answers; absent: both people")
    at: AwareDatetime | None = Field(None, description="when the answer was given (default: now)")
    reason: str = Field("", max_length=2000, description="kept with the answer")

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        return supported_version(value)


class DiffRequest(BaseModel):
    """Two match requests to solve and compare (e.g. the same cohort under other weights or rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch diff request"})
    schema_version: str = SCHEMA_VERSION
    before: MatchRequest
    after: MatchRequest

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: str) -> str:
        return supported_version(value)
