"""Fair clients and strict input, against a real server: per-client limits answer 429 with Retry-After while
other clients go on; job bodies are checked when submitted; idempotency keys; requests forgotten once fetched."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from pairmatch.service import open_jobs  # noqa: E402
from pairmatch.service.local import LocalServer  # noqa: E402

from support.service import check_error, example  # noqa: E402

A_KEY = "a-0123456789abcdef-0123"
B_KEY = "b-fedcba9876543210-3210"
KEYS = f"alpha=write:{A_KEY}, beta=write:{B_KEY}"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def server():
    args = ["--client-solves", "1", "--client-uploads", "1", "--solve-slots", "2", "--job-workers", "1"]
    with LocalServer(keys=KEYS, args=args) as running:
        running.wait_ready()
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as session:
        yield session


@contextlib.contextmanager
def body_arriving(server, path: str, key: str):
    """A request whose body has begun to arrive and does not finish while the block runs."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode()
        )
        time.sleep(0.5)  # the server has read the headers and admitted the request
        yield
    finally:
        sock.close()


@pytest.mark.parametrize("path", ["/v1/validate", "/v1/jobs/match"])
def test_a_client_at_its_limit_gets_429_while_another_client_is_served(server, client, path):
    with body_arriving(server, path, A_KEY):
        refused = client.post(path, json=example(), headers=auth(A_KEY))
        body = check_error(refused, 429, "client_limit")
        assert refused.headers["retry-after"] == "2"
        assert "this client" in body["message"]
        served = client.post(path, json=example(), headers=auth(B_KEY))
        assert served.status_code in (200, 202), served.text
    # Once the slow request has gone (the server notices the closed connection), the client is served again.
    deadline = time.monotonic() + 10
    while (answer := client.post(path, json=example(), headers=auth(A_KEY))).status_code == 429:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)
    assert answer.status_code in (200, 202), answer.text


@pytest.mark.parametrize(
    "body",
    [
        b"\x8f\x01 random bytes \xff" * 200,
        b'{"mentors": "everyone", "mentees": []}',
        b'{"mentors": [{"id": "M1", "availability": null}], "mentees": [{"id": "O1"}]}',
        b'{"mentors": [{"id": "M1"}], "mentees": [{"id": "O1"}], "explain": 0}',
    ],
    ids=["random-bytes", "wrong-type", "null-list", "number-for-boolean"],
)
def test_job_bodies_are_checked_against_their_schema_when_submitted(client, body):
    for path in ("/v1/jobs", "/v1/jobs/match", "/v1/match"):
        refused = client.post(path, content=body, headers={**auth(B_KEY), "Content-Type": "application/json"})
        check_error(refused, 422, "invalid_request")


def test_strict_types_follow_the_published_schema(client):
    rematch = {**example(), "current": [], "move_penalty": False}
    check_error(client.post("/v1/rematch", json=rematch, headers=auth(B_KEY)), 422, "invalid_request")
    check_error(client.post("/v1/jobs/rematch", json=rematch, headers=auth(B_KEY)), 422, "invalid_request")
    rematch["move_penalty"] = 0
    assert client.post("/v1/rematch", json=rematch, headers=auth(B_KEY)).status_code == 200


def test_an_idempotency_key_queues_a_job_once(client):
    headers = {**auth(B_KEY), "Idempotency-Key": "9f1c2d3e-order-77"}
    first = client.post("/v1/jobs/match", json=example(), headers=headers)
    again = client.post("/v1/jobs/match", json=example(), headers=headers)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"]
    other = {**example(), "mentors": example()["mentors"][:1]}
    body = check_error(client.post("/v1/jobs/match", json=other, headers=headers), 409, "conflict")
    assert "Idempotency-Key" in body["message"]
    # Another client's identical key is its own.
    assert client.post("/v1/jobs/match", json=example(), headers={**headers, **auth(A_KEY)}).status_code == 202
    bad = client.post("/v1/jobs/match", json=example(), headers={**auth(B_KEY), "Idempotency-Key": "a b"})
    assert check_error(bad, 422, "invalid_request")["details"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_jobs_request_is_forgotten_once_its_result_is_fetched(server, client):
    job = client.post("/v1/jobs/match", json=example(), headers=auth(B_KEY)).json()
    assert client.get(f"/v1/jobs/{job['id']}?wait=30", headers=auth(B_KEY)).json()["state"] == "done"
    backend = open_jobs(server.store)
    try:
        assert json.loads(backend.request_body(job["id"])) == example()
        assert client.get(f"/v1/jobs/{job['id']}/result", headers=auth(B_KEY)).status_code == 200
        assert backend.request_body(job["id"]) == b""
        # the result stays until its retention ends
        assert client.get(f"/v1/jobs/{job['id']}/result", headers=auth(B_KEY)).status_code == 200
    finally:
        backend.engine.dispose()
