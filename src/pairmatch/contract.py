"""The JSON contract: versioned request and response documents for other programme systems.

A ``MatchRequest`` carries everything a solve needs as plain JSON: both
sides, weights, hard rules, the caller's own score components (matrix or
entries), optionally its own geography and taxonomy, and the solver
parameters. A ``MatchResponse`` carries the result: every pair with its
component scores and the facts behind them, every unmatched person with the
reason, the status and the certificate. ``ErrorResponse`` is what a failed
request gets instead. Each carries ``schema_version``; JSON Schemas are
generated from these models and committed under ``docs/schemas/``, and a
test refuses a change that would break existing clients (a field removed,
retyped or made required) unless the major version changes.

The command ``pairmatch match --input request.json --format json`` and the
HTTP service speak this contract; so does `match` here, for Python callers.
The service adds documents of its own, all versioned with the same
``schema_version``: ``ExplainRequest``/``ExplainResponse`` (one pair or one
person explained), ``DiagnoseResponse`` (why the hard rules cannot hold),
``ValidateResponse`` (a request checked without solving),
``RematchRequest``/``RematchResponse`` (a running programme re-matched after
people leave or join), ``DiffRequest``/``DiffResponse`` (two matchings
compared) and ``JobStatus`` (an asynchronous solve).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .analysis import diagnose
from .custom_scores import CustomScore
from .datasets import default_taxonomy, london
from .diffs import diff
from .exceptions import InfeasibleProblemError, PairmatchError
from .explanations import alternatives, explain_pair, why_not, why_unmatched
from .geography import Geography
from .matching import solve
from .models import Mentee, Mentor, Problem, Rules
from .params import SolveParams, Weights
from .rematching import Changes, rematch
from .result import MatchResult, rounded
from .taxonomy import Taxonomy

__all__ = [
    "CORE_SCHEMAS",
    "ERROR_CODES",
    "JOB_STATES",
    "SCHEMA_MODELS",
    "SCHEMA_VERSION",
    "DiagnoseResponse",
    "DiffRequest",
    "DiffResponse",
    "ErrorResponse",
    "ExplainRequest",
    "ExplainResponse",
    "GeographySpec",
    "JobStatus",
    "MatchRequest",
    "MatchResponse",
    "RematchRequest",
    "RematchResponse",
    "ScoreSpec",
    "TaxonomySpec",
    "ValidateResponse",
    "breaking_changes",
    "diagnose_request",
    "diff_request",
    "error_response",
    "explain_request",
    "match",
    "rematch_request",
    "schemas",
    "supported_version",
    "validate_request",
]

# major.minor: a new minor version only adds optional fields; anything a client
# could trip over (a field removed, retyped or newly required) needs a new major.
SCHEMA_VERSION = "1.0"
_MAJOR = SCHEMA_VERSION.split(".")[0]
_CLOSED = ConfigDict(extra="forbid", frozen=True)
RequestT = TypeVar("RequestT", bound=BaseModel)


def supported_version(value: str) -> str:
    """``value`` if this pairmatch reads documents of that schema version (same major), else ``ValueError``."""
    if value.split(".")[0] != _MAJOR:
        raise ValueError(f"schema_version {value!r} is not supported; this pairmatch speaks {SCHEMA_VERSION}")
    return value


class EntrySpec(BaseModel):
    """One pair's value of a custom score."""

    model_config = _CLOSED
    mentor_id: str
    mentee_id: str
    value: float = Field(ge=0, allow_inf_nan=False)


class ScoreSpec(BaseModel):
    """A custom score component: a matrix (rows = mentors, columns = mentees) or entries."""

    model_config = _CLOSED
    name: str
    weight: float = Field(1.0, ge=0, allow_inf_nan=False)
    description: str = ""
    matrix: list[list[float]] | None = None
    mentor_ids: list[str] | None = Field(None, description="labels of the matrix rows (default: request order)")
    mentee_ids: list[str] | None = Field(None, description="labels of the matrix columns (default: request order)")
    entries: list[EntrySpec] | None = None
    default: float = Field(0.0, ge=0, allow_inf_nan=False, description="value of pairs not in entries")
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
            max_value=self.max_value,
        )

    @classmethod
    def from_custom(cls, score: CustomScore) -> ScoreSpec:
        if score.function is not None:
            raise PairmatchError(
                f"custom score {score.name!r} is a Python function; JSON carries only matrices and entries"
            )
        return cls(
            name=score.name,
            weight=score.weight,
            description=score.description,
            matrix=None if score.matrix is None else score.matrix.tolist(),
            entries=None
            if score.entries is None
            else [EntrySpec(mentor_id=m, mentee_id=e, value=v) for m, e, v in score.entries],
            default=score.default,
            max_value=score.max_value,
        )


class EdgeSpec(BaseModel):
    """A link between two related topics, with the reason it exists."""

    model_config = _CLOSED
    a: str
    b: str
    reason: str | None = None
    source: str | None = None


class TaxonomySpec(BaseModel):
    """A focus-area taxonomy (see the geography and topics page of the docs)."""

    model_config = _CLOSED
    name: str | None = None
    description: str | None = None
    as_of: str | None = None
    decay: float = Field(0.5, gt=0, lt=1)
    max_distance: int = Field(3, ge=0)
    topics: list[str] = []
    edges: list[EdgeSpec] = []

    def build(self) -> Taxonomy:
        return Taxonomy.from_dict(self.model_dump(mode="json", exclude_none=True), source="taxonomy")


class GeographySpec(BaseModel):
    """Places, their borders and units (see the geography and topics page of the docs)."""

    model_config = _CLOSED
    name: str | None = None
    description: str | None = None
    as_of: str | None = None
    unit_name: str = "unit"
    places: list[str] = []
    units: dict[str, list[str]] = {}
    borders: list[tuple[str, str]] = []
    river_borders: list[tuple[str, str]] = []
    aliases: dict[str, str] = {}
    prefixes: list[str] = []
    suffixes: list[str] = []
    notes: dict[str, str] = {}
    scores: dict[str, float] = {}
    assumptions: dict[str, str] = {}

    def build(self) -> Geography:
        return Geography.from_dict(self.model_dump(mode="json", exclude_none=True), source="geography")


class MatchRequest(BaseModel):
    """Everything a solve needs, as plain JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch match request"})
    schema_version: str = SCHEMA_VERSION
    name: str = ""
    description: str = ""
    mentors: list[Mentor]
    mentees: list[Mentee]
    weights: Weights = Weights()
    rules: Rules = Rules()
    scores: list[ScoreSpec] = []
    meeting_minutes: int = Field(60, gt=0, le=24 * 60, multiple_of=30)
    geography: GeographySpec | None = Field(None, description="default: the 32 London boroughs and the City")
    taxonomy: TaxonomySpec | None = Field(None, description="default: the built-in policing topics")
    params: SolveParams = SolveParams()
    explain: bool = Field(True, description="include the facts behind every pair")

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
        geography = london() if self.geography is None else _build(self.geography, "geography")
        taxonomy = default_taxonomy() if self.taxonomy is None else _build(self.taxonomy, "taxonomy")
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
            scores=[ScoreSpec.from_custom(s) for s in problem.scores],
            meeting_minutes=problem.meeting_minutes,
            geography=GeographySpec(**problem.geography.to_dict()) if vocabularies else None,
            taxonomy=TaxonomySpec(**problem.taxonomy.to_dict()) if vocabularies else None,
            params=params or SolveParams(),
            explain=explain,
        )


def _hint(suggestion: str | None) -> str:
    return f" - did you mean {suggestion!r}?" if suggestion else ""


def _build(spec: GeographySpec | TaxonomySpec, field: str) -> Any:
    """The vocabulary a spec describes; its errors already name the key (prefixed by ``field``)."""
    return spec.build()


class PairOut(BaseModel):
    """One proposed pair."""

    model_config = _CLOSED
    mentor_id: str
    mentee_id: str
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    pinned: bool
    facts: dict[str, str] | None = None


class UnmatchedOut(BaseModel):
    """Someone without a partner, and why."""

    model_config = _CLOSED
    person_id: str
    side: Literal["mentor", "mentee"]
    code: str
    reason: str


class MatchResponse(BaseModel):
    """A solved request: pairs, unmatched people, status and proof."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch match response"})
    schema_version: str = SCHEMA_VERSION
    status: Literal["optimal", "feasible"]
    objective: float
    objective_name: str
    solver: str
    seed: int
    certificate: dict[str, Any]
    pairs: list[PairOut]
    unmatched: list[UnmatchedOut]
    timings: dict[str, float] | None = Field(None, description="seconds per stage; absent for reproducible output")

    @classmethod
    def from_result(cls, result: MatchResult, *, explain: bool = True, include_runtime: bool = False) -> MatchResponse:
        data = result.to_dict(include_runtime=include_runtime)
        pairs = [
            PairOut(
                **p,
                facts=explain_pair(result, p["mentor_id"], p["mentee_id"]).facts
                if explain and result.context is not None
                else None,
            )
            for p in data["pairs"]
        ]
        return cls(
            status=result.status,
            objective=rounded(result.objective),
            objective_name=result.objective_name,
            solver=result.solver,
            seed=result.seed,
            certificate=data["certificate"],
            pairs=pairs,
            unmatched=[UnmatchedOut(**u) for u in data["unmatched"]],
            timings=data.get("timings") if include_runtime else None,
        )


class ErrorDetail(BaseModel):
    """One problem with a request: where (``loc``, a path into the request) and what."""

    model_config = _CLOSED
    loc: list[str | int] = []
    message: str
    type: str | None = None


ErrorCode = Literal[
    "invalid_request",
    "infeasible",
    "unsupported",
    "internal",
    "unauthorized",
    "forbidden",
    "not_found",
    "too_large",
    "busy",
    "timeout",
    "conflict",
]
ERROR_CODES: tuple[str, ...] = ErrorCode.__args__  # type: ignore[attr-defined]
"""Every value of ``ErrorResponse.error``; the HTTP service documents the status code of each."""


class ErrorResponse(BaseModel):
    """Why a request was not solved.

    ``error`` is one of ``invalid_request``, ``infeasible``, ``unsupported``
    or ``internal``; the HTTP service adds ``unauthorized``, ``forbidden``,
    ``not_found``, ``too_large``, ``busy``, ``timeout`` and ``conflict``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch error"})
    schema_version: str = SCHEMA_VERSION
    error: ErrorCode
    message: str
    details: list[ErrorDetail] = []
    reasons: list[dict[str, Any]] = Field([], description="infeasibility reasons with the people and rules")
    request_id: str | None = Field(None, description="the HTTP request's X-Request-ID, to quote when asking for help")


def error_response(err: BaseException) -> ErrorResponse:
    """The contract's error document for an exception (never a traceback or a file path)."""
    if isinstance(err, ValidationError):
        details = [
            ErrorDetail(
                loc=[str(x) if not isinstance(x, int) else x for x in e["loc"]],
                message=str(e["msg"]).removeprefix("Value error, "),
                type=e["type"],
            )
            for e in err.errors(include_url=False, include_input=False)
        ]
        return ErrorResponse(
            error="invalid_request", message=f"{len(details)} problem(s) in the request", details=details
        )
    if isinstance(err, InfeasibleProblemError):
        return ErrorResponse(
            error="infeasible",
            message="the hard rules cannot all hold",
            reasons=json.loads(json.dumps(err.reasons, default=str)),
        )
    if isinstance(err, PairmatchError):
        return ErrorResponse(error="unsupported", message=str(err))
    if isinstance(err, (ValueError, json.JSONDecodeError)):
        return ErrorResponse(error="invalid_request", message=str(err))
    return ErrorResponse(error="internal", message="the request could not be solved; see the server log")


StageCallback = Callable[[str], None]


def _parse(request: Any, model: type[RequestT]) -> RequestT:
    if isinstance(request, model):
        return request
    if isinstance(request, (str, bytes)):
        return model.model_validate_json(request)
    if isinstance(request, BaseModel):
        request = request.model_dump()
    return model.model_validate(request)


def match(
    request: MatchRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> MatchResponse:
    """Solve a request given as a `MatchRequest`, a dict or JSON text.

    Raises ``pydantic.ValidationError`` for a malformed request and
    `InfeasibleProblemError` when the rules cannot all hold; `error_response`
    turns either into the contract's error document. ``on_stage`` is called
    with ``"validating"``, ``"solving"`` and ``"explaining"`` as each stage
    starts (progress for long solves).

    Examples
    --------
    >>> request = {"mentors": [{"id": "M1", "focus_areas": ["knife crime"], "boroughs": ["Newham"]}],
    ...            "mentees": [{"id": "O1", "focus_areas": ["knife crime"], "boroughs": ["Hackney"]}]}
    >>> response = match(request)
    >>> response.status, [(p.mentor_id, p.mentee_id) for p in response.pairs]
    ('optimal', [('M1', 'O1')])
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, MatchRequest)
    problem = parsed.to_problem()
    stage("solving")
    result = solve(problem, parsed.params)
    stage("explaining")
    return MatchResponse.from_result(result, explain=parsed.explain)


def _quiet(stage: str) -> None:
    """The default stage callback: progress is not wanted."""


class ExplainRequest(MatchRequest):
    """A match request plus the one pair or one person to explain.

    The request is solved as `match` would solve it; then either ``pair``
    (a mentor id and a mentee id, proposed or not) or ``person`` (anyone's id)
    is explained from the solver's own scores.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch explain request"})
    pair: tuple[str, str] | None = Field(
        None, description="[mentor_id, mentee_id]: explain this pair, and if it was not proposed, why not"
    )
    person: str | None = Field(
        None,
        description="a mentor's or mentee's id: explain their partners, or why they "
        "have none, and their best alternatives",
    )
    alternatives: int = Field(3, ge=0, le=50, description="how many next-best partners to list for a person")

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


class PairExplanationOut(BaseModel):
    """One pair explained: component values, weighted contributions, the facts behind them."""

    model_config = _CLOSED
    mentor_id: str
    mentee_id: str
    matched: bool
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    facts: dict[str, str]
    blocked_by: list[str] = Field(description="hard rules that rule the pair out (empty: it is a candidate)")
    why_not: str | None = Field(None, description="for a pair not proposed: why, with the exact cost of forcing it")
    text: str


class AlternativeOut(BaseModel):
    """Another possible partner, best first."""

    model_config = _CLOSED
    partner_id: str
    score: float
    blocked_by: list[str]
    partner_matched_with: list[str]


class PersonExplanationOut(BaseModel):
    """One person explained: their pairs, or why they have none, and their alternatives."""

    model_config = _CLOSED
    person_id: str
    side: Literal["mentor", "mentee"]
    partners: list[str]
    text: str
    pairs: list[PairExplanationOut]
    alternatives: list[AlternativeOut]
    unmatched: UnmatchedOut | None = None


class ExplainResponse(BaseModel):
    """The explanation asked for, with the solve it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch explain response"})
    schema_version: str = SCHEMA_VERSION
    status: Literal["optimal", "feasible"]
    objective: float
    objective_name: str
    pair: PairExplanationOut | None = None
    person: PersonExplanationOut | None = None


def _pair_out(result: MatchResult, mentor_id: str, mentee_id: str, *, with_why_not: bool) -> PairExplanationOut:
    e = explain_pair(result, mentor_id, mentee_id)
    note = why_not(result, mentor_id, mentee_id) if with_why_not and not e.matched else None
    return PairExplanationOut(
        mentor_id=e.mentor_id,
        mentee_id=e.mentee_id,
        matched=e.matched,
        score=rounded(e.score),
        components={k: rounded(v) for k, v in e.components.items()},
        contributions={k: rounded(v) for k, v in e.contributions.items()},
        facts=e.facts,
        blocked_by=list(e.blocked_by),
        why_not=note,
        text=e.text(),
    )


def explain_request(
    request: ExplainRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> ExplainResponse:
    """Solve a request and explain the pair or the person it names.

    Examples
    --------
    >>> request = {"mentors": [{"id": "M1", "focus_areas": ["knife crime"], "boroughs": ["Newham"]},
    ...                        {"id": "M2", "focus_areas": ["drugs"], "boroughs": ["Brent"]}],
    ...            "mentees": [{"id": "O1", "focus_areas": ["knife crime"], "boroughs": ["Hackney"]}],
    ...            "pair": ["M2", "O1"]}
    >>> explained = explain_request(request).pair
    >>> explained.matched, explained.facts["borough"]
    (False, 'far apart: Brent - Hackney')
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, ExplainRequest)
    problem = parsed.to_problem()
    stage("solving")
    result = solve(problem, parsed.params)
    stage("explaining")
    base = ExplainResponse(
        status=result.status, objective=rounded(result.objective), objective_name=result.objective_name
    )
    if parsed.pair is not None:
        return base.model_copy(update={"pair": _pair_out(result, *parsed.pair, with_why_not=True)})
    pid = parsed.person
    assert pid is not None
    side, _ = problem.locate(pid)
    partners = list(result.partners_of(pid))
    pairs = [(pid, p) if side == "mentor" else (p, pid) for p in partners]
    unmatched = next(
        (
            UnmatchedOut(person_id=u.person_id, side=u.side, code=u.code, reason=u.reason)
            for u in result.unmatched
            if u.person_id == pid
        ),
        None,
    )
    person = PersonExplanationOut(
        person_id=pid,
        side=side,
        partners=partners,
        text=why_unmatched(result, pid),
        pairs=[_pair_out(result, m, e, with_why_not=False) for m, e in pairs],
        alternatives=[
            AlternativeOut(
                partner_id=a.partner_id,
                score=rounded(a.score),
                blocked_by=list(a.blocked_by),
                partner_matched_with=list(a.partner_matched_with),
            )
            for a in alternatives(result, pid, parsed.alternatives)
        ],
        unmatched=unmatched,
    )
    return base.model_copy(update={"person": person})


class DiagnoseResponse(BaseModel):
    """Whether the hard rules of a request can all hold, and if not, why (without solving)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch diagnosis"})
    schema_version: str = SCHEMA_VERSION
    feasible: bool = Field(description="true when no reason was found (the solve may still need time)")
    mentors: int
    mentees: int
    reasons: list[dict[str, Any]] = Field([], description="each with a rule code, a message and the people involved")


def diagnose_request(
    request: MatchRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> DiagnoseResponse:
    """Check a request's hard rules for infeasibility (Hall/König certificates), without solving.

    >>> request = {"mentors": [{"id": "M1"}], "mentees": [{"id": "O1"}, {"id": "O2"}],
    ...            "rules": {"required_pairs": [["M1", "O1"], ["M1", "O2"]]}}
    >>> diagnosis = diagnose_request(request)
    >>> diagnosis.feasible, diagnosis.reasons[0]["rule"]
    (False, 'pinned_over_capacity')
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, MatchRequest)
    problem = parsed.to_problem()
    stage("diagnosing")
    reasons = json.loads(json.dumps(diagnose(problem), default=str))
    n_mentors, n_mentees = problem.shape
    return DiagnoseResponse(feasible=not reasons, mentors=n_mentors, mentees=n_mentees, reasons=reasons)


class ValidateResponse(BaseModel):
    """A request that passed every check (a failing one gets an `ErrorResponse`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch validation"})
    schema_version: str = SCHEMA_VERSION
    valid: Literal[True] = True
    mentors: int
    mentees: int
    components: dict[str, float] = Field(description="every score component that counts, with its weight")


def validate_request(
    request: MatchRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> ValidateResponse:
    """Check a request as a solve would (every field, names against the vocabularies) without solving.

    >>> checked = validate_request({"mentors": [{"id": "M1", "boroughs": ["Kingston"]}], "mentees": [{"id": "O1"}]})
    >>> checked.mentors, checked.mentees, checked.components
    (1, 1, {'focus': 0.5, 'borough': 0.3, 'availability': 0.2})
    """
    (on_stage or _quiet)("validating")
    parsed = _parse(request, MatchRequest)
    problem = parsed.to_problem()
    n_mentors, n_mentees = problem.shape
    components = {k: v for k, v in problem.weights.as_dict().items() if v > 0}
    components.update({s.name: float(s.weight) for s in problem.scores})
    return ValidateResponse(mentors=n_mentors, mentees=n_mentees, components=components)


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
    current: list[tuple[str, str]] = Field(description="the pairs working now, [mentor_id, mentee_id]")
    leave: list[str] = Field([], description="ids of people leaving the programme")
    join_mentors: list[Mentor] = Field([], description="mentors joining")
    join_mentees: list[Mentee] = Field([], description="mentees joining")
    ended: list[tuple[str, str]] = Field([], description="current pairs the coordinator ended (never proposed again)")
    locked: list[tuple[str, str]] = Field([], description="current pairs that must stay as they are")
    move_penalty: float | None = Field(
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
        for field in ("ended", "locked"):
            for k, pair in enumerate(getattr(self, field)):
                if pair not in now:
                    add((field, k), f"{list(pair)!r} is not a current pair")
                elif field == "locked" and (pair in set(self.ended) or leaving & set(pair)):
                    add((field, k), f"{list(pair)!r} is ended or someone in it leaves; it cannot be locked")
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return Changes(
            leave=tuple(self.leave),
            join=(*self.join_mentors, *self.join_mentees),
            ended=tuple(self.ended),
            locked=tuple(self.locked),
        )


class PairChangeOut(BaseModel):
    """A pair before or after the re-match, and why it is (or is no longer) there."""

    model_config = _CLOSED
    mentor_id: str
    mentee_id: str
    change: Literal["kept", "locked", "ended", "left", "moved", "new"]
    reason: str
    score: float | None = None
    gain: float | None = None


class RematchResponse(BaseModel):
    """A proposed re-match: what changed, what it cost, and the new matching explained."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch rematch response"})
    schema_version: str = SCHEMA_VERSION
    move_penalty: float | None = Field(None, description="absent: every working pair was kept")
    score: float = Field(description="total score of the new matching without the continuity bonus")
    baseline_score: float | None = Field(None, description="total score when every working pair is kept")
    gain: float | None = Field(None, description="score - baseline_score")
    moved: int = Field(description="working pairs broken for a gain")
    counts: dict[str, int]
    changes: list[PairChangeOut]
    match: MatchResponse = Field(description="the new matching (its scores include the continuity component)")


def rematch_request(
    request: RematchRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> RematchResponse:
    """Re-match a running programme as the request asks (see `pairmatch.rematching.rematch`).

    >>> request = {"mentors": [{"id": "M1", "focus_areas": ["knife crime"], "boroughs": ["Newham"]},
    ...                        {"id": "M2", "focus_areas": ["drugs"], "boroughs": ["Brent"]}],
    ...            "mentees": [{"id": "O1", "focus_areas": ["knife crime"], "boroughs": ["Hackney"]},
    ...                        {"id": "O2", "focus_areas": ["drugs"], "boroughs": ["Harrow"]}],
    ...            "current": [["M1", "O1"], ["M2", "O2"]], "leave": ["M2"]}
    >>> response = rematch_request(request)
    >>> [(c.mentor_id, c.mentee_id, c.change) for c in response.changes]
    [('M1', 'O1', 'kept'), ('M2', 'O2', 'left')]
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, RematchRequest)
    problem, changes = parsed.to_problem(), parsed.to_changes()
    stage("solving")
    penalty = math.inf if parsed.move_penalty is None else parsed.move_penalty
    outcome = rematch(problem, parsed.current, changes, move_penalty=penalty, params=parsed.params)
    stage("explaining")
    data = outcome.to_dict()
    return RematchResponse(
        move_penalty=data["move_penalty"],
        score=data["score"],
        baseline_score=data["baseline_score"],
        gain=data["gain"],
        moved=data["moved"],
        counts=data["counts"],
        changes=[PairChangeOut(**c) for c in data["changes"]],
        match=MatchResponse.from_result(outcome.result, explain=parsed.explain),
    )


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


class PairScoreOut(BaseModel):
    """A pair and its score in the matching it belongs to."""

    model_config = _CLOSED
    mentor_id: str
    mentee_id: str
    score: float


class PartnerChangeOut(BaseModel):
    """Someone whose partners differ between the two matchings."""

    model_config = _CLOSED
    person_id: str
    side: Literal["mentor", "mentee"]
    before: list[str]
    after: list[str]


class CoverageRowOut(BaseModel):
    """People and matched people of one group (a BCU, borough or focus area) before and after."""

    model_config = _CLOSED
    key: str
    group: str
    people_before: int
    matched_before: int
    people_after: int
    matched_after: int


class DiffResponse(BaseModel):
    """What changed between the two matchings: pairs, partners, objective and coverage."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch diff response"})
    schema_version: str = SCHEMA_VERSION
    objective_before: float
    objective_after: float
    objective_change: float
    pairs_before: int
    pairs_after: int
    kept: int
    added: list[PairScoreOut]
    removed: list[PairScoreOut]
    changed: list[PartnerChangeOut]
    coverage: dict[str, list[CoverageRowOut]] = Field(
        description="per bcu, borough and focus: groups that changed first"
    )


def diff_request(
    request: DiffRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> DiffResponse:
    """Solve both requests and compare the matchings (see `pairmatch.diffs.diff`).

    >>> before = {"mentors": [{"id": "M1", "focus_areas": ["knife crime"], "boroughs": ["Newham"]}],
    ...           "mentees": [{"id": "O1", "focus_areas": ["knife crime"], "boroughs": ["Hackney"]},
    ...                       {"id": "O2", "focus_areas": ["knife crime"], "boroughs": ["Newham"]}]}
    >>> after = {**before, "rules": {"forbidden_pairs": [["M1", "O2"]]}}
    >>> compared = diff_request({"before": before, "after": after})
    >>> [(p.mentor_id, p.mentee_id) for p in compared.added], [(p.mentor_id, p.mentee_id) for p in compared.removed]
    ([('M1', 'O1')], [('M1', 'O2')])
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, DiffRequest)
    problems = parsed.before.to_problem(), parsed.after.to_problem()
    stage("solving")
    results = solve(problems[0], parsed.before.params), solve(problems[1], parsed.after.params)
    data = diff(*results).to_dict()
    data.pop("before"), data.pop("after")
    return DiffResponse.model_validate(data)


JobState = Literal["queued", "running", "done", "failed", "cancelled"]
JOB_STATES: tuple[str, ...] = JobState.__args__  # type: ignore[attr-defined]
"""Every state of an asynchronous job; ``done``, ``failed`` and ``cancelled`` are final."""


class JobStatus(BaseModel):
    """An asynchronous solve: where it is, and where its result will be.

    ``stage`` is finer than ``state``: ``queued``, ``starting``,
    ``validating``, ``solving`` (``diagnosing`` for a diagnosis),
    ``explaining``, ``saving`` or ``finished``; ``progress`` is the share of
    stages passed (solving has no finer measure).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch job"})
    schema_version: str = SCHEMA_VERSION
    id: str
    kind: str = Field(
        description="what the job does, as the endpoint it stands for: match (the default), rematch, "
        "explain, diagnose, diff or validate"
    )
    state: JobState
    stage: str
    progress: float = Field(ge=0, le=1)
    submitted_at: str = Field(description="ISO 8601, UTC")
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = Field(0, description="how many times a worker started it (a restart may re-queue a job)")
    message: str | None = Field(None, description="why it failed or was cancelled or re-queued")
    error: ErrorResponse | None = Field(None, description="for a failed job: the error document")
    links: dict[str, str] = Field({}, description="self, result and cancel URLs")


SCHEMA_MODELS: dict[str, tuple[type[BaseModel], Literal["validation", "serialization"]]] = {
    "match-request": (MatchRequest, "validation"),
    "match-response": (MatchResponse, "serialization"),
    "error": (ErrorResponse, "serialization"),
    "explain-request": (ExplainRequest, "validation"),
    "explain-response": (ExplainResponse, "serialization"),
    "diagnose-response": (DiagnoseResponse, "serialization"),
    "validate-response": (ValidateResponse, "serialization"),
    "job": (JobStatus, "serialization"),
    "rematch-request": (RematchRequest, "validation"),
    "rematch-response": (RematchResponse, "serialization"),
    "diff-request": (DiffRequest, "validation"),
    "diff-response": (DiffResponse, "serialization"),
}
"""Each schema file's model and mode (requests as they are accepted, responses as they are written)."""

CORE_SCHEMAS = ("match-request", "match-response", "error")
"""The documents every client of the contract uses; the rest belong to the HTTP service."""


def schemas(*, service: bool = False) -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the contract, by file name (as committed under ``docs/schemas``).

    The match request, match response and error documents; with ``service``,
    also the HTTP service's own documents (explain, diagnose, validate, job).
    """
    out = {}
    for name, (model, mode) in SCHEMA_MODELS.items():
        if not service and name not in CORE_SCHEMAS:
            continue
        schema = model.model_json_schema(mode=mode)
        schema["$id"] = f"urn:pairmatch:schema:{name}:v{_MAJOR}"
        schema["x-schema-version"] = SCHEMA_VERSION
        out[name] = schema
    return out


def _canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


def breaking_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What in ``new`` would break a client written against ``old`` (empty when compatible).

    Breaking: a model or property removed, a property's type changed, a
    property newly required, an allowed value removed. Adding optional
    properties or models is compatible.

    >>> old = {"properties": {"a": {"type": "string"}}, "required": []}
    >>> breaking_changes(old, {"properties": {"a": {"type": "integer"}}})
    ["#: property 'a' changed type"]
    """
    out: list[str] = []
    old_defs, new_defs = dict(old.get("$defs", {})), dict(new.get("$defs", {}))
    for name, schema in [("#", old), *((f"$defs/{k}", v) for k, v in old_defs.items())]:
        other = new if name == "#" else new_defs.get(name.removeprefix("$defs/"))
        if other is None:
            out.append(f"{name}: removed")
            continue
        old_props, new_props = schema.get("properties", {}), other.get("properties", {})
        for prop, spec in old_props.items():
            if prop not in new_props:
                out.append(f"{name}: property {prop!r} removed")
            elif _type_of(spec) != _type_of(new_props[prop]):
                out.append(f"{name}: property {prop!r} changed type")
            elif not set(_values(spec)) <= set(_values(new_props[prop])):
                lost = sorted(set(_values(spec)) - set(_values(new_props[prop])))
                out.append(f"{name}: property {prop!r} no longer accepts {lost}")
        for prop in sorted(set(other.get("required", [])) - set(schema.get("required", []))):
            out.append(f"{name}: property {prop!r} is now required")
    return out


def _type_of(spec: Mapping[str, Any]) -> str:
    """The shape of a property without its documentation, defaults or allowed values."""
    ignore = {"description", "title", "default", "examples", "enum", "const"}

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in ignore}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return _canonical(strip(spec))


def _values(spec: Mapping[str, Any]) -> list[str]:
    """Allowed constant values anywhere in a property (enum and const), as JSON text."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            found.extend(_canonical(v) for v in value.get("enum", []))
            if "const" in value:
                found.append(_canonical(value["const"]))
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(spec)
    return found
