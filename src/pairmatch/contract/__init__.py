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
people leave or join, or proposals are declined), ``RespondRequest``/``RespondResponse``
(an answer to a proposed pair, by the rules of `pairmatch.consent`), ``DiffRequest``/``DiffResponse`` (two matchings
compared) and ``JobStatus`` (an asynchronous solve).

The package holds one module per job: ``requests`` and ``responses`` (the
documents, one pydantic model each), ``handlers`` (a request in, a response
out) and ``compatibility`` (JSON Schemas and the breaking-change check).
"""

from __future__ import annotations

from .compatibility import CORE_SCHEMAS, SCHEMA_MODELS, breaking_changes, schemas
from .handlers import (
    diagnose_request,
    diff_request,
    error_response,
    explain_request,
    match,
    rematch_request,
    respond_request,
    validate_request,
)
from .requests import (
    SCHEMA_VERSION,
    DiffRequest,
    ExplainRequest,
    GeographySpec,
    MatchRequest,
    RematchRequest,
    RespondRequest,
    ScoreSpec,
    TaxonomySpec,
    supported_version,
)
from .responses import (
    ERROR_CODES,
    JOB_STATES,
    DiagnoseResponse,
    DiffResponse,
    ErrorResponse,
    ExplainResponse,
    JobStatus,
    MatchResponse,
    RematchResponse,
    RespondResponse,
    ValidateResponse,
)

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
    "RespondRequest",
    "RespondResponse",
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
    "respond_request",
    "schemas",
    "supported_version",
    "validate_request",
]
