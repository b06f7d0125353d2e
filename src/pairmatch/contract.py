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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .custom_scores import CustomScore
from .exceptions import InfeasibleProblemError, PairmatchError
from .explain import explain_pair
from .geography import Geography
from .matching import solve
from .models import Mentee, Mentor, Problem, Rules
from .params import SolveParams, Weights
from .result import MatchResult, rounded
from .taxonomy import Taxonomy

__all__ = [
    "SCHEMA_VERSION",
    "ErrorResponse",
    "GeographySpec",
    "MatchRequest",
    "MatchResponse",
    "ScoreSpec",
    "TaxonomySpec",
    "breaking_changes",
    "error_response",
    "match",
    "schemas",
]

# major.minor: a new minor version only adds optional fields; anything a client
# could trip over (a field removed, retyped or newly required) needs a new major.
SCHEMA_VERSION = "1.0"
_MAJOR = SCHEMA_VERSION.split(".")[0]
_CLOSED = ConfigDict(extra="forbid", frozen=True)


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

    def to_custom(self) -> CustomScore:
        entries = None if self.entries is None else [(e.mentor_id, e.mentee_id, e.value) for e in self.entries]
        return CustomScore(name=self.name, weight=self.weight, description=self.description, matrix=self.matrix,
                           mentor_ids=self.mentor_ids, mentee_ids=self.mentee_ids, entries=entries,
                           default=self.default, max_value=self.max_value)

    @classmethod
    def from_custom(cls, score: CustomScore) -> ScoreSpec:
        if score.function is not None:
            raise PairmatchError(f"custom score {score.name!r} is a Python function; JSON carries only "
                                 "matrices and entries")
        return cls(name=score.name, weight=score.weight, description=score.description,
                   matrix=None if score.matrix is None else score.matrix.tolist(),
                   entries=None if score.entries is None else [
                       EntrySpec(mentor_id=m, mentee_id=e, value=v) for m, e, v in score.entries],
                   default=score.default, max_value=score.max_value)


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
        if value.split(".")[0] != _MAJOR:
            raise ValueError(f"schema_version {value!r} is not supported; this pairmatch speaks {SCHEMA_VERSION}")
        return value

    def to_problem(self) -> Problem:
        """The `Problem` this request describes (raises ``ValidationError`` naming the field)."""
        extra: dict[str, Any] = {}
        if self.geography is not None:
            extra["geography"] = _build(self.geography, "geography")
        if self.taxonomy is not None:
            extra["taxonomy"] = _build(self.taxonomy, "taxonomy")
        return Problem(mentors=self.mentors, mentees=self.mentees, weights=self.weights, rules=self.rules,
                       scores=tuple(s.to_custom() for s in self.scores), meeting_minutes=self.meeting_minutes,
                       name=self.name, description=self.description, **extra)

    @classmethod
    def from_problem(cls, problem: Problem, params: SolveParams | None = None, *, explain: bool = True,
                     vocabularies: bool = True) -> MatchRequest:
        """The request for ``problem`` (its geography and taxonomy included when ``vocabularies``)."""
        return cls(
            name=problem.name, description=problem.description, mentors=list(problem.mentors),
            mentees=list(problem.mentees), weights=problem.weights, rules=problem.rules,
            scores=[ScoreSpec.from_custom(s) for s in problem.scores], meeting_minutes=problem.meeting_minutes,
            geography=GeographySpec(**problem.geography.to_dict()) if vocabularies else None,
            taxonomy=TaxonomySpec(**problem.taxonomy.to_dict()) if vocabularies else None,
            params=params or SolveParams(), explain=explain)


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
        pairs = [PairOut(**p, facts=explain_pair(result, p["mentor_id"], p["mentee_id"]).facts
                         if explain and result.context is not None else None) for p in data["pairs"]]
        return cls(status=result.status, objective=rounded(result.objective), objective_name=result.objective_name,
                   solver=result.solver, seed=result.seed, certificate=data["certificate"], pairs=pairs,
                   unmatched=[UnmatchedOut(**u) for u in data["unmatched"]],
                   timings=data.get("timings") if include_runtime else None)


class ErrorDetail(BaseModel):
    """One problem with a request: where (``loc``, a path into the request) and what."""

    model_config = _CLOSED
    loc: list[str | int] = []
    message: str
    type: str | None = None


class ErrorResponse(BaseModel):
    """Why a request was not solved. ``error`` is one of ``invalid_request``,
    ``infeasible``, ``unsupported`` or ``internal``."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch error"})
    schema_version: str = SCHEMA_VERSION
    error: Literal["invalid_request", "infeasible", "unsupported", "internal"]
    message: str
    details: list[ErrorDetail] = []
    reasons: list[dict[str, Any]] = Field([], description="infeasibility reasons with the people and rules")


def error_response(err: BaseException) -> ErrorResponse:
    """The contract's error document for an exception (never a traceback or a file path)."""
    if isinstance(err, ValidationError):
        details = [ErrorDetail(loc=[str(x) if not isinstance(x, int) else x for x in e["loc"]],
                               message=str(e["msg"]).removeprefix("Value error, "), type=e["type"])
                   for e in err.errors(include_url=False, include_input=False)]
        return ErrorResponse(error="invalid_request", message=f"{len(details)} problem(s) in the request",
                             details=details)
    if isinstance(err, InfeasibleProblemError):
        return ErrorResponse(error="infeasible", message="the hard rules cannot all hold",
                             reasons=json.loads(json.dumps(err.reasons, default=str)))
    if isinstance(err, PairmatchError):
        return ErrorResponse(error="unsupported", message=str(err))
    if isinstance(err, (ValueError, json.JSONDecodeError)):
        return ErrorResponse(error="invalid_request", message=str(err))
    return ErrorResponse(error="internal", message="the request could not be solved; see the server log")


def match(request: MatchRequest | Mapping[str, Any] | str | bytes) -> MatchResponse:
    """Solve a request given as a `MatchRequest`, a dict or JSON text.

    Raises ``pydantic.ValidationError`` for a malformed request and
    `InfeasibleProblemError` when the rules cannot all hold; `error_response`
    turns either into the contract's error document.

    Examples
    --------
    >>> request = {"mentors": [{"id": "M1", "focus_areas": ["knife crime"], "boroughs": ["Newham"]}],
    ...            "mentees": [{"id": "O1", "focus_areas": ["knife crime"], "boroughs": ["Hackney"]}]}
    >>> response = match(request)
    >>> response.status, [(p.mentor_id, p.mentee_id) for p in response.pairs]
    ('optimal', [('M1', 'O1')])
    """
    if isinstance(request, (str, bytes)):
        request = MatchRequest.model_validate_json(request)
    elif not isinstance(request, MatchRequest):
        request = MatchRequest.model_validate(request)
    result = solve(request.to_problem(), request.params)
    return MatchResponse.from_result(result, explain=request.explain)


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the contract, by file name (as committed under ``docs/schemas``)."""
    out = {}
    for name, model in (("match-request", MatchRequest), ("match-response", MatchResponse),
                        ("error", ErrorResponse)):
        schema = model.model_json_schema(mode="validation" if model is MatchRequest else "serialization")
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
