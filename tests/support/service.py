"""Requests and response checks shared by the HTTP service tests."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema

from pairmatch.contract import MatchRequest, schemas
from pairmatch.generators import synthetic_problem
from pairmatch.service.worker import STATUS_OF

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMAS = schemas(service=True)


def example(name: str = "request-minimal.json") -> dict:
    """A request from ``docs/examples``."""
    return json.loads((DOCS / "examples" / name).read_text(encoding="utf-8"))


def check_error(response: httpx.Response, status: int, error: str) -> dict:
    """The response is the contract's error document with this status and code, and leaks nothing."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    jsonschema.validate(body, SCHEMAS["error"])
    assert body["error"] == error
    assert STATUS_OF[error] == status or (status, error) in (
        (400, "invalid_request"),
        (405, "invalid_request"),
        (408, "timeout"),
    )
    assert body["request_id"] == response.headers["x-request-id"]
    text = response.text
    assert "Traceback" not in text
    assert ".py" not in text
    assert "/work/" not in text
    assert "site-packages" not in text
    return body


def request_of(n: int, seed: int = 3) -> bytes:
    """A match request for a seeded synthetic problem with ``n`` people a side."""
    return (
        MatchRequest.from_problem(synthetic_problem(n, seed=seed), vocabularies=False)
        .model_dump_json(exclude_defaults=True)
        .encode()
    )
