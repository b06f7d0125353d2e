"""Handlers: a request document in, a response document out (the same for the CLI and the service)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ..analysis import diagnose
from ..consent import ConsentError, answer
from ..diffs import diff
from ..exceptions import InfeasibleProblemError, PairmatchError
from ..explanations import alternatives, explain_pair, why_not, why_unmatched
from ..matching import solve
from ..rematching import rematch
from ..result import MatchResult, rounded
from .requests import DiffRequest, ExplainRequest, MatchRequest, RematchRequest, RequestT, RespondRequest
from .responses import (
    AlternativeOut,
    ConsentEventOut,
    DiagnoseResponse,
    DiffResponse,
    ErrorDetail,
    ErrorResponse,
    ExplainResponse,
    MatchResponse,
    PairChangeOut,
    PairExplanationOut,
    PersonExplanationOut,
    RematchResponse,
    RespondResponse,
    UnmatchedOut,
    ValidateResponse,
)


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
    if isinstance(err, ConsentError):
        return ErrorResponse(error="conflict", message=str(err))
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
    outcome = rematch(
        problem,
        parsed.current,
        changes,
        move_penalty=penalty,
        params=parsed.params,
        repropose_declined=parsed.repropose_declined,
    )
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


def respond_request(
    request: RespondRequest | Mapping[str, Any] | str | bytes, *, on_stage: StageCallback | None = None
) -> RespondResponse:
    """Apply an answer to a proposed pair by the rules of `pairmatch.consent` (the store's own).

    >>> request = {"proposal": {"mentor_id": "M1", "mentee_id": "O1", "proposed_at": "2026-03-01T09:00:00Z",
    ...                         "mentee_accepted_at": "2026-03-02T10:00:00Z"},
    ...            "accept": True, "by": "M1", "at": "2026-03-03T18:00:00Z"}
    >>> response = respond_request(request)
    >>> response.state, [(e.kind, e.by) for e in response.events]
    ('active', [('accepted', 'M1'), ('started', None)])
    """
    stage = on_stage or _quiet
    stage("validating")
    parsed = _parse(request, RespondRequest)
    at = parsed.at or dt.datetime.now(dt.UTC)
    outcome = answer(parsed.proposal, accept=parsed.accept, by=parsed.by, at=at, reason=parsed.reason)
    proposal = parsed.proposal
    accepted = {proposal.mentor_id: outcome.mentor_accepted_at, proposal.mentee_id: outcome.mentee_accepted_at}
    return RespondResponse(
        mentor_id=proposal.mentor_id,
        mentee_id=proposal.mentee_id,
        state=outcome.state,
        mentor_accepted_at=_iso(outcome.mentor_accepted_at),
        mentee_accepted_at=_iso(outcome.mentee_accepted_at),
        waiting_for=[pid for pid, when in accepted.items() if when is None] if outcome.state == "proposed" else [],
        events=[
            ConsentEventOut(kind=e.kind, at=e.at.isoformat(), by=e.person, reason=e.reason) for e in outcome.events
        ],
    )


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


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
