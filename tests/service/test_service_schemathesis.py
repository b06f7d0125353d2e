"""Every operation of the OpenAPI document, fuzzed by schemathesis against a real server on loopback.

For a bounded number of examples per operation (valid and invalid bodies,
parameters and headers drawn from the published schemas), no answer is a 5xx
and every documented answer matches its schema.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

from pairmatch.service import ServiceConfig, create_app, open_jobs  # noqa: E402
from pairmatch.service.local import LocalServer  # noqa: E402

KEY = "fuzz-0123456789abcdef-write"
EXAMPLES = 8
"""Examples per operation: about 150 requests in all."""


@pytest.fixture(scope="module")
def server():
    args = [
        "--solve-timeout",
        "10",
        "--client-queued-jobs",
        "1000",
        "--max-queued-jobs",
        "1000",
        "--retention-days",
        "1",
    ]
    with LocalServer(keys=f"fuzz=write:{KEY}", args=args) as running:
        running.wait_ready()
        yield running


def published_document() -> dict:
    """The OpenAPI document the server serves (built by the same code, without starting a server)."""
    with tempfile.TemporaryDirectory() as folder:
        backend = open_jobs(Path(folder) / "programme.db")
        try:
            return create_app(ServiceConfig(anonymous=True), backend).openapi()
        finally:
            backend.engine.dispose()


schema = schemathesis.openapi.from_dict(published_document())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_body_gets_a_server_error_and_every_answer_matches_its_schema(server, case):
    case.call_and_validate(
        base_url=server.url,
        headers={"Authorization": f"Bearer {KEY}"},
        checks=[not_a_server_error, response_schema_conformance],
        timeout=60,
    )
