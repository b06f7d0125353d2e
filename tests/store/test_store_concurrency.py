"""Crashes and concurrent writers, in separate processes, on SQLite and PostgreSQL.

A process killed (SIGKILL) in the middle of a write leaves the store as it
was, and the store still opens and takes writes. Two coordinators writing
at once take turns: both changes land once each, never half, never twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import text

import pairmatch as pm
from pairmatch.store import ProgrammeStore

from support.store import change, read

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PRELUDE = """
import os, sys, time
from pairmatch.store import ProgrammeStore
store = ProgrammeStore.open(sys.argv[1])
go = sys.argv[2]
def wait_for_go():
    deadline = time.time() + 60
    while not os.path.exists(go):
        if time.time() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
"""


def spawn(tmp_path: Path, body: str, *args: str) -> subprocess.Popen:
    script = tmp_path / f"writer_{time.monotonic_ns()}.py"
    script.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def running(store_location):
    """A store whose cohort 2026 is matched (8 pairs)."""
    with ProgrammeStore.init(store_location) as store:
        run, _ = store.match("2026", pm.synthetic_problem(8, seed=11))
        yield store, run


def snapshot(store: ProgrammeStore) -> tuple:
    history = read(store, "history", "2026")
    return (
        read(store, "cohort", "2026"),
        [(r.mentor_id, r.mentee_id, r.ended_at, r.locked, r.events) for r in history],
        [r.id for r in read(store, "runs")],
    )


def test_killed_mid_write_leaves_the_store_as_it_was(running, tmp_path):
    store, run = running
    before = snapshot(store)
    pairs = [f"{m}|{e}" for m, e in run.pairs[:4]]
    proc = spawn(
        tmp_path,
        """
        pairs = [tuple(p.split("|")) for p in sys.argv[3:]]
        with store.transaction() as tx:
            for m, e in pairs[:3]:
                tx.end_pair(m, e, "never committed")
            tx.record_feedback(*pairs[0], 5)
            tx.lock_pair(*pairs[3])
            print("inside the transaction", flush=True)
            time.sleep(120)
    """,
        store.url,
        str(tmp_path / "unused"),
        *pairs,
    )
    try:
        assert proc.stdout.readline().strip() == "inside the transaction", proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with ProgrammeStore.open(store.url) as reopened:
        assert snapshot(reopened) == before
        if reopened.engine.dialect.name == "sqlite":
            with reopened.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        started = time.monotonic()
        change(reopened, "end_pair", *run.pairs[0], "after the crash")  # the killed writer's lock is gone
        assert time.monotonic() - started < 10
        assert len(read(reopened, "active_pairs", "2026")) == len(run.pairs) - 1


@pytest.mark.parametrize("delay", [0.0, 0.03, 0.15])
def test_killed_while_recording_a_run_records_all_or_nothing(store_location, tmp_path, delay):
    with ProgrammeStore.init(store_location) as store:
        proc = spawn(
            tmp_path,
            """
            import pairmatch as pm
            proposal = store.plan_match("big", pm.synthetic_problem(150, seed=3))
            print("solved", flush=True)
            store.commit(proposal)
            print("committed", flush=True)
            time.sleep(120)
        """,
            store.url,
            str(tmp_path / "unused"),
        )
        try:
            assert proc.stdout.readline().strip() == "solved", proc.stderr.read()
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        with store.engine.connect() as conn:
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("people", "cohorts", "cohort_members", "runs", "pairings", "pairing_events")
            }
        if counts["runs"] == 0:
            assert counts == dict.fromkeys(counts, 0)
        else:
            run = read(store, "latest_run", "big")
            assert counts == {
                "people": 300,
                "cohorts": 1,
                "cohort_members": 300,
                "runs": 1,
                "pairings": len(run.pairs),
                "pairing_events": len(run.pairs),
            }
        store.match("after", pm.synthetic_problem(3, seed=1))  # still takes writes


def start_together(procs: list[subprocess.Popen], go: Path) -> list[tuple[int, str, str]]:
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go.touch()
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append((proc.returncode, stdout, stderr))
    return out


END_PAIR = """
    m, e, hold = sys.argv[3], sys.argv[4], float(sys.argv[5])
    with store.reading() as r:  # connected and warmed up before the start signal
        r.active_pairs("2026")
    print("ready", flush=True)
    wait_for_go()
    with store.transaction() as tx:
        tx.end_pair(m, e, f"ended by {os.getpid()}")
        time.sleep(hold)
    print("done", flush=True)
"""


def test_two_writers_take_turns_and_both_land(running, tmp_path):
    store, run = running
    revision = read(store, "cohort", "2026").revision
    go = tmp_path / "go"
    hold = 0.6
    procs = [spawn(tmp_path, END_PAIR, store.url, str(go), m, e, str(hold)) for m, e in run.pairs[:2]]
    started = time.monotonic()
    results = start_together(procs, go)
    elapsed = time.monotonic() - started
    assert [r[0] for r in results] == [0, 0], [r[2] for r in results]
    assert elapsed >= 2 * hold  # each held the write lock in turn
    history = {(r.mentor_id, r.mentee_id): r for r in read(store, "history", "2026")}
    for pair in run.pairs[:2]:
        assert not history[pair].active
        assert [e.kind for e in history[pair].events] == ["started", "ended"]
    assert all(history[p].active for p in run.pairs[2:])
    assert read(store, "cohort", "2026").revision == revision + 2


def test_two_writers_ending_the_same_pair_end_it_once(running, tmp_path):
    store, run = running
    go = tmp_path / "go"
    pair = run.pairs[0]
    procs = [spawn(tmp_path, END_PAIR, store.url, str(go), *pair, "0.2") for _ in range(2)]
    results = start_together(procs, go)
    assert sorted(r[0] for r in results) == [0, 1]
    loser = next(r for r in results if r[0] == 1)
    assert "have no active pairing" in loser[2]
    record = next(r for r in read(store, "history", "2026") if (r.mentor_id, r.mentee_id) == pair)
    assert [e.kind for e in record.events] == ["started", "ended"]


def test_two_coordinators_matching_one_cohort_make_one_run(store_location, tmp_path):
    with ProgrammeStore.init(store_location) as store:
        go = tmp_path / "go"
        body = """
            import pairmatch as pm
            from pairmatch.store import StoreError
            proposal = store.plan_match("2027", pm.synthetic_problem(10, seed=int(sys.argv[3])))
            print("ready", flush=True)
            wait_for_go()
            try:
                run = store.commit(proposal)
            except StoreError as err:
                print(type(err).__name__, err, file=sys.stderr)
                raise SystemExit(1)
            print("done", run.id, flush=True)
        """
        procs = [spawn(tmp_path, body, store.url, str(go), str(seed)) for seed in (1, 2)]
        results = start_together(procs, go)
        assert sorted(r[0] for r in results) == [0, 1], [r[2] for r in results]
        assert "ConcurrentChangeError" in next(r[2] for r in results if r[0] == 1)
        assert len(read(store, "runs", "2027")) == 1
        with store.engine.connect() as conn:
            duplicates = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT cohort_id, mentor_pk, mentee_pk FROM pairings WHERE ended_at IS NULL "
                    "GROUP BY cohort_id, mentor_pk, mentee_pk HAVING count(*) > 1) AS d"
                )
            ).scalar()
        assert duplicates == 0
        assert len(read(store, "active_pairs", "2027")) == len(read(store, "latest_run", "2027").pairs) == 10
