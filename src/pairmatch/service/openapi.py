"""The OpenAPI document: the contract's own schemas, referenced from every route, not a second description of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from ..contract import SCHEMA_MODELS
from .context import JSON

__all__ = ["ERROR_MEANING", "openapi_builder", "ref", "request_body", "responses"]

ERROR_MEANING = {
    401: "no valid API key",
    403: "the key's scope does not allow this",
    404: "no such job",
    408: "the request body did not arrive in time",
    409: "the job is not in a state that allows this",
    413: "the request body is too large",
    422: "the request is invalid (the details name each field) or its rules cannot all hold",
    429: "this client is at one of its limits; see Retry-After (other clients are not affected)",
    503: "busy: every solve slot is taken or the job queue is full, or the store is unavailable; see Retry-After",
    504: "the solve ran past the time limit of a synchronous request; submit it as a job",
    507: "the store has no room left for the job",
    500: "unexpected error; quote the X-Request-ID",
}
"""What each error status means on this service (the body is always the error document)."""


def ref(name: str) -> dict[str, Any]:
    """A reference to the schema of the contract document ``name`` (a ``docs/schemas`` file name)."""
    return {"$ref": f"#/components/schemas/{SCHEMA_MODELS[name][0].__name__}"}


def _one_of(names: Sequence[str]) -> dict[str, Any]:
    unique = list(dict.fromkeys(names))
    return ref(unique[0]) if len(unique) == 1 else {"anyOf": [ref(n) for n in unique]}


def request_body(names: Sequence[str], description: str) -> dict[str, Any]:
    """``openapi_extra`` for a route whose body is one of the documents ``names``."""
    return {
        "requestBody": {"required": True, "description": description, "content": {JSON: {"schema": _one_of(names)}}}
    }


def responses(ok: int, names: Sequence[str], description: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: ``ok`` with one of the documents ``names``, and each error status."""
    out: dict[int | str, dict[str, Any]] = {
        ok: {"description": description, "content": {JSON: {"schema": _one_of(names)}}}
    }
    for status in errors:
        out[status] = {"description": ERROR_MEANING[status], "content": {JSON: {"schema": ref("error")}}}
    return out


def openapi_builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The application's ``openapi`` method: FastAPI's document with the contract's schemas added."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, definitions = models_json_schema(
                [(model, mode) for model, mode in SCHEMA_MODELS.values()], ref_template="#/components/schemas/{model}"
            )
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(definitions.get("$defs", {}))
            app.openapi_schema = spec
        return app.openapi_schema

    return build
