"""Response documents of the JSON contract: what pairmatch answers, errors and job status included."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..explanations import explain_pair
from ..result import MatchResult, rounded
from .requests import CLOSED, SCHEMA_VERSION


class PairOut(BaseModel):
    """One proposed pair."""

    model_config = CLOSED
    mentor_id: str
    mentee_id: str
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    pinned: bool
    facts: dict[str, str] | None = None


class UnmatchedOut(BaseModel):
    """Someone without a partner, and why."""

    model_config = CLOSED
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

    model_config = CLOSED
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
    "client_limit",
    "storage_full",
]


ERROR_CODES: tuple[str, ...] = ErrorCode.__args__  # type: ignore[attr-defined]
"""Every value of ``ErrorResponse.error``; the HTTP service documents the status code of each."""


class ErrorResponse(BaseModel):
    """Why a request was not solved.

    ``error`` is one of ``invalid_request``, ``infeasible``, ``unsupported``
    or ``internal``; the HTTP service adds ``unauthorized``, ``forbidden``,
    ``not_found``, ``too_large``, ``busy``, ``timeout``, ``conflict``,
    ``client_limit`` (one client at one of its own limits) and ``storage_full``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch error"})
    schema_version: str = SCHEMA_VERSION
    error: ErrorCode
    message: str
    details: list[ErrorDetail] = []
    reasons: list[dict[str, Any]] = Field([], description="infeasibility reasons with the people and rules")
    request_id: str | None = Field(None, description="the HTTP request's X-Request-ID, to quote when asking for help")


class PairExplanationOut(BaseModel):
    """One pair explained: component values, weighted contributions, the facts behind them."""

    model_config = CLOSED
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

    model_config = CLOSED
    partner_id: str
    score: float
    blocked_by: list[str]
    partner_matched_with: list[str]


class PersonExplanationOut(BaseModel):
    """One person explained: their pairs, or why they have none, and their alternatives."""

    model_config = CLOSED
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


class DiagnoseResponse(BaseModel):
    """Whether the hard rules of a request can all hold, and if not, why (without solving)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch diagnosis"})
    schema_version: str = SCHEMA_VERSION
    feasible: bool = Field(description="true when no reason was found (the solve may still need time)")
    mentors: int
    mentees: int
    reasons: list[dict[str, Any]] = Field([], description="each with a rule code, a message and the people involved")


class ValidateResponse(BaseModel):
    """A request that passed every check (a failing one gets an `ErrorResponse`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch validation"})
    schema_version: str = SCHEMA_VERSION
    valid: Literal[True] = True
    mentors: int
    mentees: int
    components: dict[str, float] = Field(description="every score component that counts, with its weight")


class PairChangeOut(BaseModel):
    """A pair before or after the re-match, and why it is (or is no longer) there."""

    model_config = CLOSED
    mentor_id: str
    mentee_id: str
    change: Literal["kept", "locked", "ended", "declined", "expired", "left", "moved", "new"]
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


class ConsentEventOut(BaseModel):
    """One step of a proposal: accepted, declined or started (``by`` absent: both people)."""

    model_config = CLOSED
    kind: Literal["accepted", "declined", "started"]
    at: str = Field(description="ISO 8601 time")
    by: str | None = None
    reason: str | None = None


class RespondResponse(BaseModel):
    """A proposal after an answer: its state, each side's acceptance and the steps to record."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"title": "pairmatch respond response"})
    schema_version: str = SCHEMA_VERSION
    mentor_id: str
    mentee_id: str
    state: Literal["proposed", "active", "declined"] = Field(
        description="proposed: waiting for the other person; active: both accepted; declined: both are free"
    )
    mentor_accepted_at: str | None = None
    mentee_accepted_at: str | None = None
    waiting_for: list[str] = Field(description="who has not accepted yet (empty once active or declined)")
    events: list[ConsentEventOut]


class PairScoreOut(BaseModel):
    """A pair and its score in the matching it belongs to."""

    model_config = CLOSED
    mentor_id: str
    mentee_id: str
    score: float


class PartnerChangeOut(BaseModel):
    """Someone whose partners differ between the two matchings."""

    model_config = CLOSED
    person_id: str
    side: Literal["mentor", "mentee"]
    before: list[str]
    after: list[str]


class CoverageRowOut(BaseModel):
    """People and matched people of one group (a BCU, borough or focus area) before and after."""

    model_config = CLOSED
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
