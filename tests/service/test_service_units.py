"""Parts of the HTTP service on their own: keys, the job store, the solve pool, the ``serve`` command."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time

import pytest

pytest.importorskip("fastapi")

from pairmatch.cli import main
from pairmatch.service import ApiKey, KeyConfigError, ServiceConfig, authenticate, load_keys, open_jobs, parse_keys
from pairmatch.service.jobs import ClientLimit, IdempotencyConflict, Submission, utcnow
from pairmatch.service.logs import JsonFormatter, error_summary
from pairmatch.service.pool import Busy, SolvePool, SolveTimeout, WorkerProcess

from support.service import request_of

SECRET = "0123456789abcdef"


# --- keys ------------------------------------------------------------------------------------------------------


def test_keys_parse_with_clients_scopes_and_comments():
    keys = parse_keys(
        f"crm=read:{SECRET}aa, write:{SECRET}bb\n# a comment\nbatch.system=write:{SECRET}cc # ops", "test"
    )
    assert [(k.client, k.scope) for k in keys] == [("crm", "read"), ("key2", "write"), ("batch.system", "write")]
    assert keys[0].digest == hashlib.sha256(f"{SECRET}aa".encode()).digest()
    assert SECRET not in repr(keys)  # the digest is not even in the repr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"admin:{SECRET}", "scope must be 'read' or 'write'"),
        ("read:short", "at least 16 characters"),
        (f"read {SECRET}", "[client=]scope:secret"),
        (f"bad client=read:{SECRET}", "client name"),
        (f"key1=read:{SECRET}", "given to unnamed entries"),
    ],
)
def test_bad_keys_are_refused_without_echoing_the_secret(text, message):
    with pytest.raises(KeyConfigError, match=message.replace("[", r"\[")) as err:
        parse_keys(text, "$PAIRMATCH_API_KEYS")
    assert "short" not in str(err.value)
    assert SECRET not in str(err.value)
    assert "$PAIRMATCH_API_KEYS, entry 1" in str(err.value)


def test_a_secret_may_hold_equals_signs_and_colons():
    secret = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=:x="
    [key] = parse_keys(f"hr=write:{secret}", "test")
    assert (key.client, key.scope) == ("hr", "write")
    assert key.digest == hashlib.sha256(secret.encode()).digest()


def test_keys_come_from_the_environment_and_a_file(tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"ops=write:{SECRET}-file\n", encoding="utf-8")
    keys = load_keys({"PAIRMATCH_API_KEYS": f"crm=read:{SECRET}-env", "PAIRMATCH_API_KEYS_FILE": str(path)})
    assert [(k.client, k.scope) for k in keys] == [("crm", "read"), ("ops", "write")]
    with pytest.raises(KeyConfigError, match="twice"):
        load_keys({"PAIRMATCH_API_KEYS": f"read:{SECRET}, write:{SECRET}"})
    with pytest.raises(KeyConfigError, match="cannot read the keys file"):
        load_keys({}, tmp_path / "missing")


def test_authentication_compares_every_key_and_scopes_nest():
    keys = (ApiKey.from_secret("a", "read", SECRET + "1"), ApiKey.from_secret("b", "write", SECRET + "2"))
    assert authenticate(keys, SECRET + "2").client == "b"
    assert authenticate(keys, SECRET) is None
    assert authenticate(keys, None) is None
    assert authenticate(keys, "x" * 5000) is None
    assert keys[1].allows("read")
    assert keys[1].allows("write")
    assert keys[0].allows("read")
    assert not keys[0].allows("write")


def test_authentication_takes_the_same_time_whichever_key_matches():
    # Not a benchmark: a check that no key short-circuits the loop (a match on the first
    # key costs as many comparisons as a match on the last, or none).
    keys = tuple(ApiKey.from_secret(f"c{k}", "read", f"{SECRET}-{k:04d}") for k in range(2000))
    calls = []
    import hmac

    original = hmac.compare_digest
    try:
        hmac.compare_digest = lambda a, b: calls.append(1) or original(a, b)
        for presented in (f"{SECRET}-0000", f"{SECRET}-1999", "nothing-like-a-key"):
            calls.clear()
            authenticate(keys, presented)
            assert len(calls) == len(keys)
    finally:
        hmac.compare_digest = original


# --- the job store ---------------------------------------------------------------------------------------------


@pytest.fixture
def jobs(store_location):  # a SQLite file and a PostgreSQL database
    backend = open_jobs(store_location)
    yield backend
    backend.engine.dispose()


def test_jobs_live_in_the_programme_store_with_their_own_migrations(store_location):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from pairmatch.service.jobs import VERSION_TABLE, metadata
    from pairmatch.service.storage import jobs_head_revision, jobs_revision
    from pairmatch.store import ProgrammeStore, head_revision

    backend = open_jobs(store_location)
    try:
        with backend.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": lambda name, kind, parent: kind != "table" or name in metadata.tables}
            )
            assert compare_metadata(context, metadata) == []  # the migrations build exactly the jobs table
            assert jobs_revision(conn) == jobs_head_revision()
        with ProgrammeStore.open(store_location) as store:  # still a programme store at its newest revision
            assert store.revision() == head_revision()
            assert {"jobs", VERSION_TABLE, "people", "runs"} <= set(store.tables())
        again = open_jobs(store_location)  # opening again changes nothing
        assert again.counts()["queued"] == 0
        again.engine.dispose()
    finally:
        backend.engine.dispose()


def test_a_store_at_an_older_revision_is_not_upgraded_behind_its_owners_back(tmp_path):
    from pairmatch.store import ProgrammeStore, StoreError

    path = tmp_path / "old.db"
    ProgrammeStore.init(path, revision="0001").close()
    with pytest.raises(StoreError, match="pairmatch store upgrade"):
        open_jobs(path)
    with pytest.raises(StoreError, match="cannot open the store"):
        open_jobs(tmp_path / "missing" / "folder" / "p.db")


def test_jobs_are_claimed_oldest_first_and_owned_by_their_client(jobs):
    a = queue(jobs, b"{}", max_queued=10)
    b = queue(jobs, b"[]", max_queued=10)
    assert jobs.get(a.id, "someone else") is None
    assert jobs.get(a.id, "crm").state == "queued"
    claimed = jobs.claim("w1", lease_s=30)
    assert claimed.id == a.id
    assert claimed.state == "running"
    assert claimed.attempts == 1
    assert jobs.request_body(a.id) == b"{}"
    assert jobs.claim("w2", lease_s=30).id == b.id
    assert jobs.claim("w3", lease_s=30) is None
    assert jobs.heartbeat(a.id, "w1", 30, "solving") == "ok"
    assert jobs.get(a.id).stage == "solving"
    assert jobs.get(a.id).progress == 0.2
    assert jobs.heartbeat(a.id, "intruder", 30) == "lost"
    assert jobs.finish(a.id, "w1", "done", 200, b'{"ok": 1}', counts={"mentors": 3, "mentees": 4})
    assert jobs.result(a.id, "crm") == (200, b'{"ok": 1}')
    assert jobs.result(a.id, "other") is None
    done = jobs.get(a.id)
    assert done.final
    assert done.mentors == 3
    assert done.progress == 1.0
    assert not jobs.finish(a.id, "w1", "failed", 500, b"{}")  # a finished job stays finished
    assert jobs.counts() == {"queued": 0, "running": 1, "done": 1, "failed": 0, "cancelled": 0}


def test_the_queue_has_a_bound(jobs):
    queue(jobs, b"{}", max_queued=2)
    queue(jobs, b"{}", max_queued=2)
    from pairmatch.service.jobs import QueueFull

    with pytest.raises(QueueFull):
        queue(jobs, b"{}", max_queued=2)


def test_cancel_a_queued_job_at_once_and_a_running_one_by_request(jobs):
    first = queue(jobs, b"{}", max_queued=10)
    second = queue(jobs, b"{}", max_queued=10)
    assert jobs.claim("w", 30).id == first.id
    assert jobs.cancel(first.id, "other") is None
    requested = jobs.cancel(first.id, "crm")
    assert requested.state == "running"
    assert requested.cancel_requested
    assert jobs.heartbeat(first.id, "w", 30) == "cancel"
    cancelled = jobs.cancel(second.id, "crm")
    assert cancelled.state == "cancelled"
    assert cancelled.message == "cancelled before it started"
    assert jobs.claim("w2", 30) is None


def test_lapsed_leases_are_requeued_until_the_attempts_run_out(jobs):
    job = queue(jobs, b"{}", max_queued=10)
    for attempt in (1, 2):
        assert jobs.claim(f"w{attempt}", lease_s=0.01).attempts == attempt
        time.sleep(0.05)
        recovered = jobs.recover(max_attempts=2)
        assert [r.id for r in recovered] == [job.id]
    assert recovered[0].state == "failed"
    assert "stopped 2 time(s) while running" in recovered[0].message
    status, document = jobs.result(job.id, "crm")
    assert status == 500
    assert json.loads(document)["error"] == "internal"
    # A worker that comes back after its lease lapsed cannot overwrite the outcome.
    assert jobs.heartbeat(job.id, "w2", 30) == "lost"
    assert not jobs.finish(job.id, "w2", "done", 200, b"{}")


def test_an_orderly_release_does_not_count_the_attempt(jobs):
    job = queue(jobs, b"{}", max_queued=10)
    jobs.claim("w", 30)
    assert jobs.release(job.id, "w", "re-queued: stopping")
    again = jobs.get(job.id)
    assert again.state == "queued"
    assert again.attempts == 0
    assert again.message == "re-queued: stopping"


def test_finished_jobs_are_purged_after_their_retention(jobs):
    job = queue(jobs, b"{}", max_queued=10)
    jobs.claim("w", 30)
    jobs.finish(job.id, "w", "done", 200, b"{}")
    assert jobs.purge(utcnow() - dt.timedelta(hours=1)) == 0
    assert jobs.purge(utcnow() + dt.timedelta(seconds=1)) == 1
    assert jobs.get(job.id) is None


def queue(jobs, body=b"{}", *, client="crm", max_queued=10, client_queued=1000, client_bytes=10**9, key=None):
    """Submit a match job; its record."""
    submission = Submission("match", client, body, max_queued, client_queued, client_bytes, key)
    return jobs.submit(submission)[0]


def test_one_client_at_its_queued_or_stored_limit_leaves_others_unaffected(jobs):
    queue(jobs, client="a", client_queued=2)
    queue(jobs, client="a", client_queued=2)
    with pytest.raises(ClientLimit, match="2 queued jobs"):
        queue(jobs, client="a", client_queued=2)
    assert queue(jobs, client="b", client_queued=2).state == "queued"
    with pytest.raises(ClientLimit, match="hold 4 bytes"):
        queue(jobs, b"12345", client="a", client_bytes=8)
    assert queue(jobs, b"12345", client="b", client_bytes=8).client == "b"


def test_an_idempotency_key_queues_a_request_once(jobs):
    submission = Submission("match", "crm", b'{"a": 1}', 10, 10, 10**6, "key-1")
    first, created = jobs.submit(submission)
    again, created_again = jobs.submit(submission)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    with pytest.raises(IdempotencyConflict):
        jobs.submit(Submission("match", "crm", b'{"a": 2}', 10, 10, 10**6, "key-1"))
    with pytest.raises(IdempotencyConflict):  # the kind is part of the request
        jobs.submit(Submission("diagnose", "crm", b'{"a": 1}', 10, 10, 10**6, "key-1"))
    other, created_other = jobs.submit(Submission("match", "other", b'{"a": 1}', 10, 10, 10**6, "key-1"))
    assert created_other
    assert other.id != first.id  # keys are per client


def test_a_finished_jobs_request_is_forgotten_when_fetched_or_after_its_retention(jobs):
    fetched = queue(jobs, b'{"name": "Ottoline"}')
    kept = queue(jobs, b'{"name": "Peregrine"}')
    for job in (fetched, kept):
        jobs.claim("w", 30)
        jobs.finish(job.id, "w", "done", 200, b"{}")
    jobs.drop_request(fetched.id)
    assert jobs.request_body(fetched.id) == b""
    assert jobs.request_body(kept.id) == b'{"name": "Peregrine"}'
    assert jobs.drop_requests(utcnow() - dt.timedelta(hours=1)) == 0
    assert jobs.drop_requests(utcnow() + dt.timedelta(seconds=1)) == 1
    assert jobs.request_body(kept.id) == b""
    queued = queue(jobs, b'{"name": "Queued"}')
    jobs.drop_request(queued.id)  # never before it has run
    assert jobs.request_body(queued.id) == b'{"name": "Queued"}'


# --- solver processes ------------------------------------------------------------------------------------------


def test_a_solver_process_answers_and_is_replaced_after_a_timeout():
    worker = WorkerProcess("test")
    try:
        stages = []
        reply = worker.call(
            "validate", b'{"mentors": [{"id": "a"}], "mentees": [{"id": "b"}]}', timeout_s=60, on_stage=stages.append
        )
        assert reply.status == 200
        assert json.loads(reply.body)["valid"] is True
        assert stages == ["validating"]
        assert reply.info["mentors"] == 1
        first = worker.pid
        with pytest.raises(SolveTimeout):
            worker.call("match", request_of(1500), timeout_s=0.2)
        assert worker.pid != first
        assert worker.alive
        assert worker.restarts == 1
        assert worker.call("validate", b"{", timeout_s=60).status == 422
    finally:
        worker.stop()


def test_a_failing_callback_replaces_the_process_so_the_next_call_gets_its_own_reply():
    # A heartbeat's database write can fail while the process is still solving; the next job
    # given to this process must not read that solve's reply as its own.
    worker = WorkerProcess("test")
    try:
        first = worker.pid

        def heartbeat_fails() -> bool:
            raise RuntimeError("database is locked")

        with pytest.raises(RuntimeError):
            worker.call("match", request_of(300), timeout_s=60, should_stop=heartbeat_fails)
        assert worker.pid != first
        assert worker.restarts == 1
        reply = worker.call("validate", b'{"mentors": [{"id": "a"}], "mentees": [{"id": "b"}]}', timeout_s=60)
        assert reply.status == 200
        assert json.loads(reply.body)["valid"] is True
    finally:
        worker.stop()


def test_the_pool_lets_a_bounded_line_wait_and_refuses_the_rest():
    async def scenario():
        pool = SolvePool(1, queue_size=1, queue_wait_s=30)
        await pool.start()
        try:
            slow = request_of(1000)
            first = asyncio.create_task(pool.run("match", slow, timeout_s=60))
            await asyncio.sleep(0.05)
            second = asyncio.create_task(pool.run("validate", b"{}", timeout_s=60))
            await asyncio.sleep(0.05)
            assert pool.busy == 1
            assert pool.waiting == 1
            with pytest.raises(Busy):
                await pool.run("validate", b"{}", timeout_s=60)
            (reply, waited_first), (second_reply, waited) = await first, await second
            assert reply.status == 200
            assert second_reply.status == 422
            assert waited > waited_first
        finally:
            pool.stop()

    asyncio.run(scenario())


# --- logs and the command --------------------------------------------------------------------------------------


def test_log_lines_are_json_and_errors_lose_their_message():
    import logging

    try:
        raise ValueError("Ottoline Quigley-Marsh lives in Waltham Forest")
    except ValueError as err:
        summary = error_summary(err)
        record = logging.LogRecord(
            "pairmatch.service", logging.ERROR, __file__, 1, "boom", None, (type(err), err, err.__traceback__)
        )
    assert summary["exception"] == "ValueError"
    assert "test_service_units.py" in summary["where"][0]
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"] == "ValueError"
    assert "Ottoline" not in json.dumps(line)


def test_serve_refuses_to_start_without_keys_or_with_no_auth_off_loopback(monkeypatch, capsys):
    monkeypatch.delenv("PAIRMATCH_API_KEYS", raising=False)
    monkeypatch.delenv("PAIRMATCH_API_KEYS_FILE", raising=False)
    assert main(["serve"]) == 2
    assert "no API keys" in capsys.readouterr().err
    assert main(["serve", "--no-auth", "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err
    monkeypatch.setenv("PAIRMATCH_API_KEYS", "read:short")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "at least 16 characters" in err
    assert "short" not in err.replace("16 characters", "")
    monkeypatch.setenv("PAIRMATCH_API_KEYS", f"read:{SECRET}")
    assert main(["serve", "--solve-slots", "0"]) == 2
    assert "solve_slots" in capsys.readouterr().err


def test_the_config_summary_names_no_secret_and_no_client():
    config = ServiceConfig(keys=(ApiKey.from_secret("crm-system", "write", SECRET),))
    text = json.dumps(config.summary())
    assert "crm-system" not in text
    assert SECRET not in text
    assert '"write": 1' in text
