"""The HTTP service against a real server: uvicorn on the loopback address, started by the test.

Every request goes over TCP to ``pairmatch serve`` in a subprocess, so the
checks cover what a client sees: status codes, headers, error documents,
and what the server writes to its log.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
jsonschema = pytest.importorskip("jsonschema")

from pairmatch.contract import ERROR_CODES, match  # noqa: E402
from pairmatch.generators import synthetic_problem  # noqa: E402
from pairmatch.service.local import LocalServer  # noqa: E402
from pairmatch.service.tasks import TASKS  # noqa: E402

from support.service import SCHEMAS, check_error, example  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"
WRITE_KEY = "w-0123456789abcdef-0123456789"
READ_KEY = "r-fedcba9876543210-fedcba9876"
OTHER_KEY = "o-0a1b2c3d4e5f6a7b-8c9d0e1f2a"
KEYS = f"crm=write:{WRITE_KEY}, crm=read:{READ_KEY}, other=write:{OTHER_KEY}"
# Values that must never reach the log: people's ids, names and boroughs, and the keys.
SECRET_PERSON = {
    "mentors": [
        {
            "id": "ZXQ-MENTOR-7731",
            "name": "Ottoline Quigley-Marsh",
            "focus_areas": ["knife crime"],
            "boroughs": ["Waltham Forest"],
            "availability": ["Tue 18:00-20:00"],
        }
    ],
    "mentees": [
        {
            "id": "ZXQ-OFFICER-4410",
            "name": "Peregrine Vantablack",
            "focus_areas": ["drugs"],
            "boroughs": ["Kingston"],
            "availability": ["Tue 18:00-20:00"],
        }
    ],
}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def server():
    with LocalServer(
        keys=KEYS,
        args=[
            "--solve-slots",
            "2",
            "--job-workers",
            "1",
            "--max-body-mb",
            "1",
            "--max-job-body-mb",
            "4",
            "--lease",
            "5",
        ],
    ) as running:
        running.wait_ready()
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as session:
        yield session


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert ready.json()["status"] == "ready"
    assert checks["store"] == "ok"
    assert checks["solve_slots"]["size"] == 2
    assert checks["solve_slots"]["alive"] is True
    assert checks["job_runner"] == {"workers": 1, "alive": True}


def test_match_speaks_the_same_contract_as_the_library(client):
    response = client.post("/v1/match", json=example(), headers=auth(WRITE_KEY))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    jsonschema.validate(body, SCHEMAS["match-response"])
    assert body == json.loads((DOCS / "examples" / "response-minimal.json").read_text(encoding="utf-8"))
    own = example("request-own-vocabularies.json")
    response = client.post("/v1/match", json=own, headers={"X-API-Key": WRITE_KEY})
    assert response.json() == match(own).model_dump(mode="json", exclude_none=True)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("not-a-key-0123456789"),
        {"Authorization": f"Basic {WRITE_KEY}"},
        auth(WRITE_KEY[:-1]),
        {"X-API-Key": ""},
    ],
    ids=["none", "unknown", "not-bearer", "one-character-short", "empty"],
)
def test_requests_without_a_valid_key_get_401(client, headers):
    # Every operation under /v1, as the service itself lists them.
    spec = client.get("/openapi.json").json()
    operations = [
        (method.upper(), path.replace("{job_id}", "abc"))
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") and path not in ("/v1/health", "/v1/ready", "/v1/access")  # these need no key
        for method in item
    ]
    # a synchronous endpoint and a job endpoint per task; POST /v1/jobs; a job's status, result and cancel
    assert len(operations) == 2 * len(TASKS) + 4
    for method, path in operations:
        response = client.request(method, path, json=example(), headers=headers)
        check_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_read_key_may_read_but_not_write(client):
    for path in ("/v1/match", "/v1/jobs"):
        body = check_error(client.post(path, json=example(), headers=auth(READ_KEY)), 403, "forbidden")
        assert "write" in body["message"]
    check_error(client.post("/v1/jobs/abc/cancel", headers=auth(READ_KEY)), 403, "forbidden")
    validated = client.post("/v1/validate", json=example(), headers=auth(READ_KEY))
    assert validated.status_code == 200
    assert validated.json() == {
        "schema_version": "1.0",
        "valid": True,
        "mentors": 2,
        "mentees": 2,
        "components": {"focus": 0.5, "borough": 0.3, "availability": 0.2},
    }
    jsonschema.validate(validated.json(), SCHEMAS["validate-response"])
    diagnosed = client.post("/v1/diagnose", json=example(), headers=auth(READ_KEY))
    assert diagnosed.json() == {"schema_version": "1.0", "feasible": True, "mentors": 2, "mentees": 2, "reasons": []}


def test_oversized_bodies_get_413_whether_declared_or_streamed(client):
    big = b'{"mentors": [' + b" " * (1024 * 1024 + 10) + b"]}"
    body = check_error(client.post("/v1/match", content=big, headers=auth(WRITE_KEY)), 413, "too_large")
    assert "/v1/jobs" in body["message"]  # where a bigger problem can go

    # Chunked, with no Content-Length: the server stops reading once the limit is passed.
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(1)
            yield b" " * 65536

    response = client.post("/v1/match", content=chunks(), headers=auth(WRITE_KEY))
    check_error(response, 413, "too_large")
    assert "content-length" not in response.request.headers
    # Jobs take larger bodies (4 MiB here) but not unlimited ones.
    check_error(client.post("/v1/jobs", content=b" " * (5 * 1024 * 1024), headers=auth(WRITE_KEY)), 413, "too_large")


def test_malformed_requests_get_422_naming_each_field(client):
    broken = example()
    broken["mentors"][0]["availability"] = ["Mon 25:00-26:00"]
    broken["weights"]["focus"] = -1
    broken["surprise"] = True
    body = check_error(client.post("/v1/match", json=broken, headers=auth(WRITE_KEY)), 422, "invalid_request")
    locs = [d["loc"] for d in body["details"]]
    assert ["mentors", 0, "availability"] in locs
    assert ["weights", "focus"] in locs
    assert ["surprise"] in locs

    body = check_error(
        client.post("/v1/match", content=b'{"mentors": [', headers=auth(WRITE_KEY)), 422, "invalid_request"
    )
    assert body["details"][0]["type"] == "json_invalid"
    body = check_error(client.post("/v1/match", content=b"", headers=auth(WRITE_KEY)), 422, "invalid_request")
    assert body["details"][0]["loc"] == ["body"]

    unknown = example()
    unknown["mentors"][0]["boroughs"] = ["Atlantis"]
    body = check_error(client.post("/v1/validate", json=unknown, headers=auth(READ_KEY)), 422, "invalid_request")
    assert any(d["loc"][:3] == ["mentors", 0, "boroughs"] for d in body["details"]), body

    explain = {**example(), "pair": ["M1", "nobody"]}
    body = check_error(client.post("/v1/explain", json=explain, headers=auth(READ_KEY)), 422, "invalid_request")
    assert body["details"][0]["loc"] == ["pair"]

    check_error(client.get("/v1/jobs/x", params={"wait": "soon"}, headers=auth(READ_KEY)), 422, "invalid_request")


def test_infeasible_requests_get_422_with_the_reasons(client):
    request = example()
    request["rules"] = {"required_pairs": [["M1", "O1"], ["M1", "O2"]]}
    body = check_error(client.post("/v1/match", json=request, headers=auth(WRITE_KEY)), 422, "infeasible")
    assert body["reasons"]
    assert all("message" in r for r in body["reasons"])
    diagnosis = client.post("/v1/diagnose", json=request, headers=auth(READ_KEY)).json()
    jsonschema.validate(diagnosis, SCHEMAS["diagnose-response"])
    assert diagnosis["feasible"] is False
    assert diagnosis["reasons"] == body["reasons"]


def test_unknown_paths_and_methods_get_error_documents(client):
    check_error(client.get("/v1/nothing", headers=auth(WRITE_KEY)), 404, "not_found")
    response = client.get("/v1/match", headers=auth(WRITE_KEY))
    check_error(response, 405, "invalid_request")
    assert "POST" in response.headers["allow"]


def test_explain_a_pair_and_a_person(client):
    request = {**example(), "pair": ["M2", "O2"]}
    body = client.post("/v1/explain", json=request, headers=auth(READ_KEY)).json()
    jsonschema.validate(body, SCHEMAS["explain-response"])
    assert body["pair"]["matched"] is False
    assert body["pair"]["blocked_by"] == ["too little common availability"]
    assert body["pair"]["why_not"] == "M2 - O2 is not a candidate: too little common availability."
    request = {**example(), "person": "O1", "alternatives": 1}
    body = client.post("/v1/explain", json=request, headers=auth(READ_KEY)).json()
    assert body["person"]["partners"] == ["M2"]
    assert body["person"]["text"] == "O1 is matched with M2."
    assert body["person"]["pairs"][0]["facts"]["borough"] == "adjacent: Newham - Redbridge"


def test_request_ids_are_echoed_or_generated(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123.x"})
    assert given.headers["x-request-id"] == "abc-123.x"
    generated = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    hostile = client.get("/healthz", headers={"X-Request-ID": "line\tbreak " + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])


def test_jobs_submit_poll_fetch_and_ownership(client):
    submitted = client.post("/v1/jobs", json=example(), headers=auth(WRITE_KEY))
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    jsonschema.validate(job, SCHEMAS["job"])
    assert submitted.headers["location"] == f"/v1/jobs/{job['id']}" == job["links"]["self"]
    assert job["state"] == "queued"
    assert job["progress"] == 0
    polled = client.get(submitted.headers["location"], params={"wait": 30}, headers=auth(READ_KEY)).json()
    assert polled["state"] == "done"
    assert polled["stage"] == "finished"
    assert polled["progress"] == 1
    assert polled["attempts"] == 1
    assert polled["started_at"]
    assert polled["finished_at"]
    result = client.get(job["links"]["result"], headers=auth(READ_KEY))
    assert result.status_code == 200
    assert result.json() == client.post("/v1/match", json=example(), headers=auth(WRITE_KEY)).json()
    # Another client cannot see, fetch or cancel it: to them it does not exist.
    for method, path in [
        ("GET", job["links"]["self"]),
        ("GET", job["links"]["result"]),
        ("POST", job["links"]["cancel"]),
    ]:
        check_error(client.request(method, path, headers=auth(OTHER_KEY)), 404, "not_found")
    body = check_error(client.post(job["links"]["cancel"], headers=auth(WRITE_KEY)), 409, "conflict")
    assert "done" in body["message"]
    check_error(client.get("/v1/jobs/0123456789abcdef0123456789abcdef", headers=auth(READ_KEY)), 404, "not_found")


def test_a_job_with_an_invalid_request_is_refused_or_fails_with_the_field_names(client):
    broken = example()
    broken["weights"]["focus"] = "lots"
    refused = check_error(client.post("/v1/jobs", json=broken, headers=auth(WRITE_KEY)), 422, "invalid_request")
    assert refused["details"][0]["loc"] == ["weights", "focus"]
    # Names are checked against the vocabularies when the job runs.
    unknown = example()
    unknown["mentors"][0]["boroughs"] = ["Gotham"]
    job = client.post("/v1/jobs", json=unknown, headers=auth(WRITE_KEY)).json()
    polled = client.get(job["links"]["self"], params={"wait": 30}, headers=auth(READ_KEY)).json()
    assert polled["state"] == "failed"
    assert polled["error"]["error"] == "invalid_request"
    assert polled["error"]["details"][0]["loc"] == ["mentors", 0, "boroughs", 0]
    result = client.get(job["links"]["result"], headers=auth(READ_KEY))
    assert result.status_code == 422
    assert {**result.json(), "request_id": None} == {**polled["error"], "request_id": None}


def large_request(n: int, seed: int = 1) -> bytes:
    from pairmatch.contract import MatchRequest

    return (
        MatchRequest.from_problem(synthetic_problem(n, seed=seed), vocabularies=False)
        .model_dump_json(exclude_defaults=True)
        .encode()
    )


def test_a_running_job_can_be_cancelled_and_a_queued_one_too(client):
    slow = large_request(1500)
    first = client.post("/v1/jobs", content=slow, headers=auth(WRITE_KEY)).json()
    second = client.post("/v1/jobs", content=slow, headers=auth(WRITE_KEY)).json()
    deadline = time.monotonic() + 30
    while client.get(first["links"]["self"], headers=auth(READ_KEY)).json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    queued = client.post(second["links"]["cancel"], headers=auth(WRITE_KEY))
    assert queued.status_code == 200
    assert queued.json()["state"] == "cancelled"
    running = client.post(first["links"]["cancel"], headers=auth(WRITE_KEY))
    assert running.status_code in (200, 202)
    final = client.get(first["links"]["self"], params={"wait": 10}, headers=auth(READ_KEY)).json()
    assert final["state"] == "cancelled", final
    check_error(client.get(first["links"]["result"], headers=auth(READ_KEY)), 409, "conflict")
    # The job slot is free again.
    third = client.post("/v1/jobs", json=example(), headers=auth(WRITE_KEY)).json()
    assert client.get(third["links"]["self"], params={"wait": 30}, headers=auth(READ_KEY)).json()["state"] == "done"


def test_a_result_that_is_not_ready_gets_409_with_retry_after(client):
    job = client.post("/v1/jobs", content=large_request(1200, seed=2), headers=auth(WRITE_KEY)).json()
    early = client.get(job["links"]["result"], headers=auth(READ_KEY))
    if early.status_code == 409:  # on a fast machine it may already be done
        check_error(early, 409, "conflict")
        assert int(early.headers["retry-after"]) >= 1
    done = client.get(job["links"]["self"], params={"wait": 60}, headers=auth(READ_KEY)).json()
    assert done["state"] == "done"


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/validate",
        "/v1/match",
        "/v1/explain",
        "/v1/diagnose",
        "/v1/rematch",
        "/v1/diff",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/result",
        "/v1/jobs/{job_id}/cancel",
        "/healthz",
        "/readyz",
    } <= set(spec["paths"])
    components = spec["components"]["schemas"]
    assert {"MatchRequest", "MatchResponse", "ErrorResponse", "ExplainRequest", "JobStatus"} <= set(components)
    body = spec["paths"]["/v1/match"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/MatchRequest"}
    assert set(components["ErrorResponse"]["properties"]["error"]["enum"]) == set(ERROR_CODES)
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()
    # The interactive page loads scripts from elsewhere: off unless asked for (--docs).
    check_error(client.get("/docs"), 404, "not_found")


def test_logs_are_json_lines_with_request_ids_and_no_person_data(server, client):
    response = client.post("/v1/match", json=SECRET_PERSON, headers={**auth(WRITE_KEY), "X-Request-ID": "trace-77"})
    assert response.status_code == 200
    client.post("/v1/explain", json={**SECRET_PERSON, "person": "ZXQ-OFFICER-4410"}, headers=auth(READ_KEY))
    broken = {**SECRET_PERSON, "weights": {"focus": "Ottoline"}}
    client.post("/v1/match", json=broken, headers=auth(WRITE_KEY))
    client.post("/v1/jobs", json=SECRET_PERSON, headers=auth(WRITE_KEY))
    client.get("/v1/jobs/ZXQ-MENTOR-7731", headers=auth(READ_KEY))
    time.sleep(1.0)
    text = server.log_text()
    for value in (
        "ZXQ",
        "Ottoline",
        "Quigley",
        "Peregrine",
        "Vantablack",
        "Waltham",
        "Kingston",
        WRITE_KEY,
        READ_KEY,
        OTHER_KEY,
        WRITE_KEY[:12],
    ):
        assert value not in text, f"{value!r} reached the log"
    events = server.log_events()
    assert all("line" not in e for e in events), [e for e in events if "line" in e][:3]
    line = next(e for e in events if e.get("request_id") == "trace-77")
    assert line["event"] == "request"
    assert line["route"] == "/v1/match"
    assert line["status"] == 200
    assert line["mentors"] == 1
    assert line["mentees"] == 1
    assert line["pairs"] == 1
    assert line["client"] == "crm"
    assert line["duration_ms"] >= 0
    assert line["bytes_in"] > 0


def test_a_client_that_leaves_frees_its_solve_slot(server, client):
    # Max-min bisects over many exact solves: long enough to outlast the disconnect on any machine.
    data = json.loads(large_request(2500, seed=4))
    slow = json.dumps({**data, "params": {"objective": "maxmin"}}, separators=(",", ":")).encode()
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            server.url + "/v1/match",
            content=slow,
            headers={**auth(WRITE_KEY), "X-Request-ID": "leaver-1"},
            timeout=httpx.Timeout(60, read=0.5),
        )
    deadline = time.monotonic() + 10
    while not any(e.get("request_id") == "leaver-1" for e in server.log_events()):
        assert time.monotonic() < deadline, "the request never finished"
        time.sleep(0.1)
    line = next(e for e in server.log_events() if e.get("request_id") == "leaver-1")
    assert line["client_gone"] is True
    assert line["task"] == "match"
    assert client.get("/readyz").json()["checks"]["solve_slots"]["busy"] == 0


def test_rematch_needs_write_and_diff_read_and_both_run_as_jobs(client):
    data = json.loads(large_request(8, seed=2))
    data["current"] = [
        [p["mentor_id"], p["mentee_id"]]
        for p in client.post("/v1/match", json=data, headers=auth(WRITE_KEY)).json()["pairs"]
    ]
    request = {**data, "leave": [data["current"][0][0]], "move_penalty": 0}
    check_error(client.post("/v1/rematch", json=request, headers=auth(READ_KEY)), 403, "forbidden")
    direct = client.post("/v1/rematch", json=request, headers=auth(WRITE_KEY))
    assert direct.status_code == 200, direct.text
    assert direct.json()["counts"]["left"] == 1
    assert direct.json()["match"]["status"] == "optimal"

    job = client.post("/v1/jobs", params={"kind": "rematch"}, json=request, headers=auth(WRITE_KEY)).json()
    assert job["kind"] == "rematch"
    assert client.get(job["links"]["self"], params={"wait": 30}, headers=auth(READ_KEY)).json()["state"] == "done"
    assert client.get(job["links"]["result"], headers=auth(READ_KEY)).json() == direct.json()

    before = {k: v for k, v in data.items() if k != "current"}
    after = {**before, "weights": {"focus": 0.1, "borough": 0.8, "availability": 0.1}}
    compared = client.post("/v1/diff", json={"before": before, "after": after}, headers=auth(READ_KEY))
    assert compared.status_code == 200
    assert compared.json()["pairs_before"] == len(data["current"])
    body = check_error(
        client.post("/v1/jobs", params={"kind": "teleport"}, json=before, headers=auth(WRITE_KEY)),
        422,
        "invalid_request",
    )
    assert body["details"][0]["loc"] == ["query", "kind"]


def test_respond_answers_a_proposal_by_the_store_rules(client):
    proposal = {
        "mentor_id": "M1",
        "mentee_id": "O1",
        "proposed_at": "2026-03-01T09:00:00Z",
        "expires_at": "2026-03-15T09:00:00Z",
    }
    first = {"proposal": proposal, "accept": True, "by": "O1", "at": "2026-03-02T10:00:00Z"}
    response = client.post("/v1/respond", json=first, headers=auth(WRITE_KEY))
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, SCHEMAS["respond-response"])
    assert body["state"] == "proposed"
    assert body["waiting_for"] == ["M1"]
    both = {**first, "proposal": {**proposal, "mentee_accepted_at": body["mentee_accepted_at"]}, "by": "M1"}
    body = client.post("/v1/respond", json=both, headers=auth(WRITE_KEY)).json()
    assert body["state"] == "active"
    assert [(e["kind"], e.get("by")) for e in body["events"]] == [("accepted", "M1"), ("started", None)]
    late = {**first, "at": "2026-03-20T10:00:00Z"}
    refused = client.post("/v1/respond", json=late, headers=auth(WRITE_KEY))
    assert refused.status_code == 409
    assert "expired" in refused.json()["message"]
    assert client.post("/v1/respond", json=first, headers=auth(READ_KEY)).status_code == 403
