"""The service's tasks: one row per request kind, read by the routes, the OpenAPI document and the solver processes.

Each `Task` names the contract's request and response documents, the function
that answers the request, and the key scope it needs. From this table come the
synchronous endpoint ``POST /v1/{name}``, the job submission
``POST /v1/jobs/{name}`` (and ``POST /v1/jobs?kind={name}``), the OpenAPI
description of both and of the job's result, and what a solver process runs
(`pairmatch.service.worker.run_task`). Adding a kind of request is adding a
row here (see the recipe in ``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from ..contract import (
    SCHEMA_MODELS,
    DiagnoseResponse,
    DiffRequest,
    DiffResponse,
    ExplainRequest,
    ExplainResponse,
    MatchRequest,
    MatchResponse,
    RematchRequest,
    RematchResponse,
    RespondRequest,
    RespondResponse,
    ValidateResponse,
    diagnose_request,
    diff_request,
    explain_request,
    match,
    rematch_request,
    respond_request,
    validate_request,
)

__all__ = ["DEFAULT_KIND", "TASKS", "Task", "schema_name"]

Scope = Literal["read", "write"]


def schema_name(model: type[BaseModel]) -> str:
    """The name of ``model``'s schema file under ``docs/schemas`` (``match-request`` for `MatchRequest`).

    >>> schema_name(MatchRequest), schema_name(DiffResponse)
    ('match-request', 'diff-response')
    """
    for name, (candidate, _) in SCHEMA_MODELS.items():
        if candidate is model:
            return name
    raise KeyError(f"{model.__name__} has no schema file; add it to pairmatch.contract.SCHEMA_MODELS")


@dataclass(frozen=True)
class Task:
    """One kind of request the service answers (see the module docstring).

    Attributes
    ----------
    name : str
        The endpoint's last path segment and the job's ``kind``.
    request, response : type of BaseModel
        The contract documents it takes and returns (each has a schema file).
    answer : callable
        The contract function: ``answer(request, on_stage=...)`` returns the response.
    scope : {"read", "write"}
        The key scope a caller needs: write for what creates results, read for what only looks.
    summary : str
        One line for the OpenAPI document.
    takes, gives : str
        What the request and the response are, for the OpenAPI document.
    """

    name: str
    request: type[BaseModel]
    response: type[BaseModel]
    answer: Callable[..., BaseModel]
    scope: Scope
    summary: str
    takes: str
    gives: str

    @property
    def request_schema(self) -> str:
        """The name of the request's schema file (`schema_name`)."""
        return schema_name(self.request)

    @property
    def response_schema(self) -> str:
        """The name of the response's schema file (`schema_name`)."""
        return schema_name(self.response)


_ROWS = (
    Task(
        "validate",
        MatchRequest,
        ValidateResponse,
        validate_request,
        "read",
        "Check a match request without solving",
        "a match request",
        "the request is valid",
    ),
    Task(
        "match",
        MatchRequest,
        MatchResponse,
        match,
        "write",
        "Solve a match request: explained matches",
        "a match request",
        "the proposed matching, every pair explained",
    ),
    Task(
        "explain",
        ExplainRequest,
        ExplainResponse,
        explain_request,
        "read",
        "Solve, then explain one pair or one person",
        "a match request plus `pair` or `person`",
        "the explanation",
    ),
    Task(
        "diagnose",
        MatchRequest,
        DiagnoseResponse,
        diagnose_request,
        "read",
        "Why the hard rules cannot all hold",
        "a match request",
        "the diagnosis",
    ),
    Task(
        "rematch",
        RematchRequest,
        RematchResponse,
        rematch_request,
        "write",
        "Re-match a running programme after people leave or join or pairs end",
        "a match request (the programme as it was) plus the current pairs and what changed",
        "the changes and the new matching",
    ),
    Task(
        "diff",
        DiffRequest,
        DiffResponse,
        diff_request,
        "read",
        "Solve two match requests and compare the matchings",
        "two match requests: before and after",
        "what changed",
    ),
    Task(
        "respond",
        RespondRequest,
        RespondResponse,
        respond_request,
        "write",
        "Answer a proposed pair: accepted by one person, started when both accepted, or declined",
        "the proposal as the caller keeps it (times of each acceptance) and the answer",
        "the proposal's new state and the steps to record, by the programme store's own rules",
    ),
)

TASKS: dict[str, Task] = {task.name: task for task in _ROWS}
"""Every task by name, in the order the OpenAPI document lists them."""

DEFAULT_KIND = "match"
"""The kind of a job submitted to ``POST /v1/jobs`` without ``?kind=``."""
