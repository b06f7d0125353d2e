"""No submitted job is lost when the service dies: SIGKILL it mid-run, restart it on the same store.

Jobs that were queued are resumed; the job that was running is re-queued once
its lease lapses and runs again. An orderly stop (SIGTERM) puts a running job
back at once without counting the attempt.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from pairmatch.service.local import LocalServer  # noqa: E402

from support.service import request_of  # noqa: E402

KEY = "restart-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {KEY}"}
ARGS = ["--job-workers", "1", "--lease", "2", "--job-attempts", "3", "--solve-slots", "1"]


def descendants(pid: int) -> set[int]:
    """Processes started (directly or not) by ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited: only its exit status is left
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for_state(client: httpx.Client, job: dict, states: set[str], timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(job["links"]["self"]).json()
        if status["state"] in states or time.monotonic() > deadline:
            return status
        time.sleep(0.02)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the solver processes")
def test_sigkill_with_jobs_queued_and_running_loses_nothing(tmp_path):
    store = tmp_path / "programme.db"
    body = request_of(1200, seed=5)
    first = LocalServer(keys=f"crm=write:{KEY}", store=store, args=ARGS).start()
    try:
        with httpx.Client(base_url=first.url, headers=HEADERS, timeout=60) as client:
            jobs = [client.post("/v1/jobs", content=body).json() for _ in range(4)]
            # A request that does not match its schema is refused at once, not queued; one with an
            # unknown place passes the schema and fails when it runs.
            assert client.post("/v1/jobs", json={"mentors": "not a list"}).status_code == 422
            gotham = {"mentors": [{"id": "M1", "boroughs": ["Gotham"]}], "mentees": [{"id": "O1"}]}
            jobs.append(client.post("/v1/jobs", json=gotham).json())
            running = wait_for_state(client, jobs[0], {"running"})
            assert running["state"] == "running", running
            children = descendants(first.pid)
            assert len(children) >= 3  # the fork server, its solver processes, the resource tracker
            first.kill()
    finally:
        first.kill()
        first.close()
    # The solver processes die with the service instead of solving for nobody.
    deadline = time.monotonic() + 10
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in children if alive(p)]

    with (
        LocalServer(keys=f"crm=write:{KEY}", store=store, args=ARGS) as second,
        httpx.Client(base_url=second.url, headers=HEADERS, timeout=90) as client,
    ):
        finals = [client.get(job["links"]["self"], params={"wait": 60}).json() for job in jobs]
        finals = [
            f
            if f["state"] in ("done", "failed", "cancelled")
            else client.get(f["links"]["self"], params={"wait": 60}).json()
            for f in finals
        ]
        assert [f["id"] for f in finals] == [j["id"] for j in jobs]  # none disappeared
        assert [f["state"] for f in finals] == ["done"] * 4 + ["failed"], finals
        assert finals[0]["attempts"] == 2
        assert "re-queued" in finals[0]["message"]
        assert all(f["attempts"] == 1 for f in finals[1:])
        assert finals[4]["error"]["details"][0]["loc"] == ["mentors", 0, "boroughs", 0]  # failed with its reason
        results = [client.get(f["links"]["result"]).json() for f in finals[:4]]
        assert all(r["status"] == "optimal" and r["pairs"] for r in results)
        assert len({r["objective"] for r in results}) == 1  # the same request, the same answer
        events = second.log_events()
        assert any(e.get("event") == "job_recovered" and e.get("job_id") == jobs[0]["id"] for e in events)


def test_an_orderly_stop_requeues_the_running_job_without_counting_the_attempt(tmp_path):
    store = tmp_path / "programme.db"
    first = LocalServer(keys=f"crm=write:{KEY}", store=store, args=ARGS).start()
    try:
        with httpx.Client(base_url=first.url, headers=HEADERS, timeout=60) as client:
            job = client.post("/v1/jobs", content=request_of(1500, seed=6)).json()
            assert wait_for_state(client, job, {"running"})["state"] == "running"
        assert first.stop() in (0, -15)  # uvicorn re-raises SIGTERM once it has shut down
        assert any(e.get("event") == "job_requeued" for e in first.log_events())
        assert any(e.get("event") == "stopped" for e in first.log_events())
    finally:
        first.kill()
        first.close()
    with (
        LocalServer(keys=f"crm=write:{KEY}", store=store, args=ARGS) as second,
        httpx.Client(base_url=second.url, headers=HEADERS, timeout=90) as client,
    ):
        final = client.get(job["links"]["self"], params={"wait": 60}).json()
        assert final["state"] == "done", final
        assert final["attempts"] == 1, final
        assert "the service stopped while it was running" in final["message"]
