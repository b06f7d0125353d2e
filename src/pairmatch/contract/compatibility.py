"""JSON Schemas of the contract and the check that a change keeps old clients working."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from .requests import (
    MAJOR_VERSION,
    SCHEMA_VERSION,
    DiffRequest,
    ExplainRequest,
    MatchRequest,
    RematchRequest,
    RespondRequest,
)
from .responses import (
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
    "respond-request": (RespondRequest, "validation"),
    "respond-response": (RespondResponse, "serialization"),
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
        schema["$id"] = f"urn:pairmatch:schema:{name}:v{MAJOR_VERSION}"
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
