"""Limits of the HTTP service against a real server: slow solves, busy slots and a full job queue.

The server here has one solve slot, no waiting line and a short time limit,
so each limit can be reached with a modest request.
"""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from pairmatch.service.local import LocalServer  # noqa: E402

from support.service import check_error, example, request_of  # noqa: E402

KEY = "limits-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def slow_request():
    # Takes well over a second to validate, solve and explain on any machine this runs on.
    return request_of(2500)


@pytest.fixture(scope="module")
def server():
    args = [
        "--solve-slots",
        "1",
        "--queue-size",
        "0",
        "--solve-timeout",
        "0.5",
        "--retry-after",
        "3",
        "--job-workers",
        "1",
        "--job-timeout",
        "0.5",
        "--max-queued-jobs",
        "2",
        "--lease",
        "5",
        "--body-timeout",
        "1.5",
        "--max-uploads",
        "1",
    ]
    with LocalServer(keys=f"ops=write:{KEY}", args=args) as running:
        running.wait_ready()
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60, headers=HEADERS) as session:
        yield session


def test_a_slow_solve_is_stopped_with_504_and_the_body_suggests_a_job(client, slow_request):
    started = time.monotonic()
    response = client.post("/v1/match", content=slow_request)
    elapsed = time.monotonic() - started
    body = check_error(response, 504, "timeout")
    assert "POST /v1/jobs" in body["message"]
    assert "0.5 s" in body["message"]
    assert elapsed < 10  # stopped at the limit, not when the solve would have ended
    # The slot is free again at once: the stopped process was replaced.
    again = client.post("/v1/match", json=example())
    assert again.status_code == 200, again.text


def test_requests_beyond_the_slots_get_503_with_retry_after_and_no_pile_up(server, client, slow_request):
    outcome = {}

    def occupy():
        with httpx.Client(base_url=server.url, timeout=60, headers=HEADERS) as other:
            outcome["slow"] = other.post("/v1/match", content=slow_request)

    thread = threading.Thread(target=occupy)
    thread.start()
    deadline = time.monotonic() + 10
    while client.get("/readyz").json()["checks"]["solve_slots"]["busy"] < 1:
        assert time.monotonic() < deadline, "the slow request never took the slot"
        time.sleep(0.01)
    busy = client.post("/v1/match", json=example())
    thread.join()
    body = check_error(busy, 503, "busy")
    assert busy.headers["retry-after"] == "3"
    assert "retry after 3 s" in body["message"]
    assert outcome["slow"].status_code == 504
    assert client.post("/v1/validate", json=example()).status_code == 200
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["checks"]["solve_slots"]["busy"] == 0


def test_a_job_past_its_time_limit_fails_with_the_reason(client, slow_request):
    job = client.post("/v1/jobs", content=slow_request).json()
    final = client.get(job["links"]["self"], params={"wait": 30}).json()
    assert final["state"] == "failed"
    assert final["error"]["error"] == "timeout"
    assert "time limit of 0.5 s" in final["message"]
    check_error(client.get(job["links"]["result"]), 504, "timeout")


def test_a_full_job_queue_gets_503_with_retry_after():
    # A job that solves for a while holds the one worker; small jobs then fill the queue of 2.
    args = ["--job-workers", "1", "--max-queued-jobs", "2", "--client-queued-jobs", "100", "--retry-after", "3"]
    with (
        LocalServer(keys=f"ops=write:{KEY}", args=args) as server,
        httpx.Client(base_url=server.url, timeout=60, headers=HEADERS) as client,
    ):
        server.wait_ready()
        slow = client.post("/v1/jobs", content=request_of(1500, seed=4)).json()
        deadline = time.monotonic() + 30
        while client.get(slow["links"]["self"]).json()["state"] == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        accepted, refused = [], []
        for _ in range(4):
            response = client.post("/v1/jobs", json=example())
            (accepted if response.status_code == 202 else refused).append(response)
        if client.get(slow["links"]["self"]).json()["state"] != "running":
            pytest.skip("the long job finished before the queue filled (a very fast machine)")
        assert len(accepted) == 2
        error = check_error(refused[0], 503, "busy")
        assert refused[0].headers["retry-after"] == "30"
        assert "queue is full" in error["message"]
        for job in [*(response.json() for response in accepted), slow]:
            client.post(job["links"]["cancel"])


def test_a_body_that_does_not_arrive_gets_408_and_holds_no_more_than_its_admission(server, client):
    outcome = {}

    def stalled():
        yield b'{"mentors": ['
        time.sleep(4)
        yield b"]}"

    def upload():
        with httpx.Client(base_url=server.url, timeout=60, headers=HEADERS) as other:
            try:
                outcome["stalled"] = other.post("/v1/jobs", content=stalled())
            except httpx.HTTPError as err:  # the server may close the connection while we still write
                outcome["stalled"] = err

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(0.5)
    # Only one job submission may be arriving at once here: the next is refused before its body is read.
    refused = client.post("/v1/jobs", json=example())
    error = check_error(refused, 503, "busy")
    assert "job submissions are already arriving" in error["message"]
    assert refused.headers["retry-after"] == "3"
    thread.join()
    stalled_response = outcome["stalled"]
    if isinstance(stalled_response, httpx.Response):
        check_error(stalled_response, 408, "timeout")
    accepted = client.post("/v1/jobs", json=example())
    assert accepted.status_code == 202
