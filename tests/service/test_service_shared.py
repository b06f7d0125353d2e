"""Two service instances sharing one PostgreSQL programme store: one queue, each job run once.

PostgreSQL comes from ``PAIRMATCH_TEST_POSTGRES_URL`` as for the store's
tests (``bash .ci/postgres.sh`` starts one); each run gets a fresh database.
"""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
pytest.importorskip("psycopg")

from pairmatch.service.local import LocalServer  # noqa: E402

from support.service import request_of  # noqa: E402

KEY = "shared-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {KEY}"}
ARGS = ["--job-workers", "1", "--solve-slots", "1", "--lease", "3"]


def test_two_instances_share_the_queue_and_run_each_job_once(postgres_location):
    first = LocalServer(keys=f"crm=write:{KEY}", store=postgres_location, args=ARGS)
    second = LocalServer(keys=f"crm=write:{KEY}", store=postgres_location, args=ARGS)
    with first, second, httpx.Client(headers=HEADERS, timeout=90) as client:
        body = request_of(800, seed=8)
        jobs = [client.post(f"{(first, second)[k % 2].url}/v1/jobs", content=body).json() for k in range(6)]
        finals = [client.get(f"{second.url}{job['links']['self']}", params={"wait": 60}).json() for job in jobs]
        assert [f["state"] for f in finals] == ["done"] * 6, finals
        assert all(f["attempts"] == 1 for f in finals)
        time.sleep(0.5)
        ran = [
            {e["job_id"] for e in server.log_events() if e.get("event") == "job_started"} for server in (first, second)
        ]
        assert ran[0] | ran[1] == {job["id"] for job in jobs}
        assert not ran[0] & ran[1]  # no job ran on both
        assert ran[0]
        assert ran[1]
        # A job submitted to one instance is known to the other, with its result.
        result = client.get(f"{first.url}{jobs[1]['links']['result']}")
        assert result.status_code == 200
        assert result.json()["status"] == "optimal"
