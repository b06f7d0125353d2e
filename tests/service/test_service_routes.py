"""The routes come from the task table: every task has its endpoints, OpenAPI entries, schema files and guide rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from pairmatch.contract import SCHEMA_MODELS
from pairmatch.service import ServiceConfig, create_app, open_jobs
from pairmatch.service.tasks import TASKS

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    backend = open_jobs(tmp_path_factory.mktemp("routes") / "programme.db")
    try:
        yield create_app(ServiceConfig(anonymous=True), backend).openapi()
    finally:
        backend.engine.dispose()


def schema_of(spec, content):
    schema = content["application/json"]["schema"]
    refs = [schema["$ref"]] if "$ref" in schema else [s["$ref"] for s in schema["anyOf"]]
    names = [r.rsplit("/", 1)[1] for r in refs]
    for name in names:
        assert name in spec["components"]["schemas"]
    return names


def model_name(schema_file):
    return SCHEMA_MODELS[schema_file][0].__name__


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_has_a_synchronous_and_a_job_endpoint_with_its_schemas(spec, name):
    task = TASKS[name]
    for path in (f"/v1/{name}", f"/v1/jobs/{name}"):
        operation = spec["paths"][path]["post"]
        assert schema_of(spec, operation["requestBody"]["content"]) == [model_name(task.request_schema)]
        assert {"401", "403", "413", "422", "500"} <= set(operation["responses"])
        assert "security" in operation
    sync = spec["paths"][f"/v1/{name}"]["post"]
    assert schema_of(spec, sync["responses"]["200"]["content"]) == [model_name(task.response_schema)]
    assert ("write" in sync["summary"]) == (task.scope == "write")
    job = spec["paths"][f"/v1/jobs/{name}"]["post"]
    assert schema_of(spec, job["responses"]["202"]["content"]) == ["JobStatus"]
    for schema_file in (task.request_schema, task.response_schema):
        assert (DOCS / "schemas" / f"{schema_file}.json").exists()


def test_the_job_result_may_be_the_response_of_every_kind(spec):
    result = spec["paths"]["/v1/jobs/{job_id}/result"]["get"]
    described = set(schema_of(spec, result["responses"]["200"]["content"]))
    assert described == {model_name(task.response_schema) for task in TASKS.values()}
    submit = spec["paths"]["/v1/jobs"]["post"]
    assert set(schema_of(spec, submit["requestBody"]["content"])) == {
        model_name(task.request_schema) for task in TASKS.values()
    }
    [kind] = [p for p in submit["parameters"] if p["name"] == "kind"]
    assert kind["schema"]["enum"] == list(TASKS)


def test_the_guide_lists_every_endpoint_with_its_scope():
    guide = (DOCS / "service.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `POST (/v1/[a-z]+)` \| (read|write) \|", guide, flags=re.MULTILINE))
    for name, task in TASKS.items():
        assert rows.get(f"/v1/{name}") == task.scope, name
