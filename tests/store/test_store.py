"""The programme store on SQLite and PostgreSQL: round trips, events, rules, migrations, replays."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine, text

import pairmatch as pm
from pairmatch.contract import MatchRequest
from pairmatch.store import (
    ConcurrentChangeError,
    ProgrammeStore,
    ReplayMismatchError,
    StoreError,
    head_revision,
    store_url,
)
from pairmatch.store.schema import Base

from support.store import change, read


@pytest.fixture
def store(store_location):
    with ProgrammeStore.init(store_location) as s:
        yield s


def pairs_of(records):
    return {(r.mentor_id, r.mentee_id) for r in records}


def test_init_creates_the_newest_schema(store):
    assert store.revision() == head_revision() == "0003"
    assert {"people", "cohorts", "cohort_members", "runs", "pairings", "pairing_events"} <= set(store.tables())
    # init again is harmless, open works
    ProgrammeStore.init(store.url).close()
    ProgrammeStore.open(store.url).close()


def test_schema_from_migrations_equals_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_match_round_trip(store):
    problem = pm.synthetic_problem(12, seed=5)
    params = pm.SolveParams(seed=7)
    run, result = store.match("2026", problem, params)
    assert run.kind == "match"
    assert run.cohort == "2026"
    assert run.parent_id is None
    assert run.seed == 7
    assert run.status == "optimal"
    assert run.objective == pytest.approx(result.objective)
    assert set(run.pairs) == {(p.mentor_id, p.mentee_id) for p in result.pairs}
    assert pairs_of(read(store, "active_pairs", "2026")) == set(run.pairs)
    assert run.versions["pairmatch"] == pm.__version__
    assert run.certificate == json.loads(json.dumps(dict(result.certificate), default=list))
    # The stored request is the solved problem, as the contract serialises it.
    stored = read(store, "run", run.id)
    assert stored.request == MatchRequest.from_problem(problem, params, explain=False)
    assert stored.problem().mentors == problem.mentors
    assert stored.problem().rules == problem.rules
    again = stored.solve_again()
    assert [(p.mentor_id, p.mentee_id, p.score) for p in again.pairs] == [
        (p.mentor_id, p.mentee_id, p.score) for p in result.pairs
    ]
    # Explanations work on the stored run.
    pair = again.pairs[0]
    assert pm.explain_pair(again, pair.mentor_id, pair.mentee_id).matched
    info = read(store, "cohort", "2026")
    assert (info.members, info.active_pairs, info.runs) == (24, len(result.pairs), 1)
    members = read(store, "members", "2026")
    assert {m.person_id for m in members} == {p.id for p in (*problem.mentors, *problem.mentees)}
    assert all(m.join_reason == "initial" and m.active for m in members)
    with store.reading() as r:
        assert r.person(problem.mentors[0].id) == problem.mentors[0]


def test_a_running_cohort_is_not_matched_again(store):
    problem = pm.synthetic_problem(5, seed=1)
    store.match("2026", problem)
    with pytest.raises(StoreError, match="already has 5 active pairs"):
        store.match("2026", problem)
    assert len(read(store, "runs", "2026")) == 1


def test_end_pair_feedback_lock_and_history(store):
    problem = pm.synthetic_problem(6, seed=2)
    run, _ = store.match("2026", problem)
    (m1, e1), (m2, e2), (m3, e3) = run.pairs[:3]
    before = read(store, "cohort", "2026").revision
    ended = change(store, "end_pair", m1, e1, "did not get on")
    assert not ended.active
    assert ended.end_reason == "did not get on"
    assert [e.kind for e in ended.events] == ["started", "ended"]
    with pytest.raises(StoreError, match="no active pairing"):
        change(store, "end_pair", m1, e1, "again")
    with pytest.raises(StoreError, match="needs a reason"):
        change(store, "end_pair", m2, e2, " ")
    rated = change(store, "record_feedback", m2, e2, 4, "good start")
    rated = change(store, "record_feedback", m2, e2, 2)
    assert rated.ratings == (4, 2)
    for bad in (0, 6, 3.5, True):
        with pytest.raises(StoreError, match="whole number from 1 to 5"):
            change(store, "record_feedback", m2, e2, bad)
    locked = change(store, "lock_pair", m3, e3, reason="going well")
    assert locked.locked
    assert locked.events[-1].kind == "locked"
    with pytest.raises(StoreError, match="locked"):
        change(store, "end_pair", m3, e3, "no")
    assert read(store, "cohort", "2026").revision == before + 2  # the end and the lock; feedback changes no pairing
    assert pairs_of(read(store, "active_pairs", "2026")) == set(run.pairs) - {(m1, e1)}
    history = read(store, "history", person=m2)
    assert len(history) == 1
    assert history[0].ratings == (4, 2)
    assert [e.reason for e in history[0].events if e.kind == "feedback"] == ["good start", None]
    assert len(read(store, "history", "2026")) == len(run.pairs)
    with pytest.raises(StoreError, match="no cohort named 'nope'"):
        read(store, "history", "nope")
    with pytest.raises(StoreError, match="nobody with id"):
        change(store, "end_pair", "ghost", e1, "x")


def test_leave_ends_the_pairing(store):
    run, _ = store.match("2026", pm.synthetic_problem(4, seed=3))
    mentor, mentee = run.pairs[0]
    ended = change(store, "leave", "2026", mentee, "moved away")
    assert [(r.mentor_id, r.mentee_id) for r in ended] == [(mentor, mentee)]
    assert ended[0].end_reason == f"{mentee} left: moved away"
    member = next(m for m in read(store, "members", "2026") if m.person_id == mentee)
    assert not member.active
    assert member.leave_reason == "moved away"
    with pytest.raises(StoreError, match="already left"):
        change(store, "leave", "2026", mentee, "again")


def test_one_active_pairing_per_pair_is_a_database_rule(store):
    run, _ = store.match("2026", pm.synthetic_problem(3, seed=4))
    from pairmatch.store.schema import PairingRow

    with store.transaction() as tx:
        existing = tx.session.query(PairingRow).first()
        values = {c: getattr(existing, c) for c in ("cohort_id", "mentor_pk", "mentee_pk", "run_id", "started_at")}
    with pytest.raises(StoreError, match="clashes with the store's rules"), store.transaction() as tx:
        tx.session.add(PairingRow(**values))
        tx.session.flush()
    assert len(read(store, "active_pairs", "2026")) == len(run.pairs)


def test_a_failing_transaction_changes_nothing(store):
    run, _ = store.match("2026", pm.synthetic_problem(4, seed=6))
    (m1, e1), (m2, e2) = run.pairs[:2]
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.end_pair(m1, e1, "first change")
        tx.end_pair(m1, e1, "the same pair again fails")
    assert pairs_of(read(store, "active_pairs", "2026")) == set(run.pairs)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.end_pair(m2, e2, "ended")
        raise RuntimeError("interrupted")
    assert pairs_of(read(store, "active_pairs", "2026")) == set(run.pairs)
    assert all(len(r.events) == 1 for r in read(store, "history", "2026"))


def test_stale_proposals_are_refused(store):
    problem = pm.synthetic_problem(5, seed=7)
    first = store.plan_match("2026", problem)
    second = store.plan_match("2026", problem)
    store.commit(first)
    with pytest.raises(ConcurrentChangeError, match="changed while solving"):
        store.commit(second)
    plan = store.plan_rematch("2026", move_penalty=0)
    mentor, mentee = read(store, "active_pairs", "2026")[0].mentor_id, read(store, "active_pairs", "2026")[0].mentee_id
    change(store, "end_pair", mentor, mentee, "meanwhile")
    with pytest.raises(ConcurrentChangeError):
        store.commit(plan)
    assert len(read(store, "runs", "2026")) == 1


def test_replay_detects_a_different_outcome(store):
    run, _ = store.match("2026", pm.synthetic_problem(6, seed=8))
    response = json.loads(read(store, "run", run.id).response_json)
    response["pairs"] = response["pairs"][1:]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE runs SET response = :r WHERE id = :i"), {"r": json.dumps(response), "i": run.id})
    with pytest.raises(ReplayMismatchError, match="other pairs"):
        read(store, "run", run.id).solve_again()


def test_open_reports_what_to_do(tmp_path, store_location):
    with pytest.raises(StoreError, match="pairmatch store init"):
        ProgrammeStore.open(tmp_path / "missing.db")
    with pytest.raises(StoreError, match="not a programme store yet"):
        if store_location.endswith(".db"):
            create_engine(store_url(store_location)).connect().close()  # an empty database file
        ProgrammeStore.open(store_location)
    with pytest.raises(StoreError, match="does not exist"):
        ProgrammeStore.init(tmp_path / "no" / "such" / "folder.db")


def test_upgrade_from_the_first_revision_keeps_the_data(store_location):
    old = ProgrammeStore.init(store_location, revision="0001")
    assert old.revision() == "0001"
    assert "locked" not in {c["name"] for c in __import__("sqlalchemy").inspect(old.engine).get_columns("pairings")}
    now = "2026-01-05 10:00:00"
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO people (id, person_id, side, name, data, created_at, updated_at) VALUES "
                "(1, 'M1', 'mentor', NULL, :m, :t, :t), (2, 'O1', 'mentee', NULL, :o, :t, :t), "
                "(3, 'O2', 'mentee', NULL, :p, :t, :t)"
            ),
            {"m": json.dumps({"id": "M1"}), "o": json.dumps({"id": "O1"}), "p": json.dumps({"id": "O2"}), "t": now},
        )
        conn.execute(
            text("INSERT INTO cohorts (id, name, description, created_at, revision) VALUES (1, '2025', '', :t, 3)"),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO runs (id, cohort_id, kind, created_at, request, base_request, params, seed, "
                "response, certificate, status, objective, versions, note) VALUES (1, 1, 'match', :t, "
                "'{}', '{}', '{}', 0, '{}', '{}', 'optimal', 1.5, '{}', '')"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO pairings (id, cohort_id, mentor_pk, mentee_pk, run_id, started_at) VALUES "
                "(1, 1, 1, 2, 1, :t), (2, 1, 1, 3, 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO pairing_events (pairing_id, kind, at) VALUES (1, 'started', :t), "
                "(1, 'locked', :t), (2, 'started', :t), (2, 'locked', :t), (2, 'unlocked', :t)"
            ),
            {"t": now},
        )
    with pytest.raises(StoreError, match="pairmatch store upgrade"):
        ProgrammeStore.open(store_location)
    assert old.upgrade("0002") == ("0001", "0002")
    assert old.upgrade() == ("0002", "0003")
    old.close()
    with ProgrammeStore.open(store_location) as store:
        records = {r.mentee_id: r for r in read(store, "history", "2025")}
        assert records["O1"].locked
        assert not records["O2"].locked
        assert read(store, "cohort", "2025").revision == 3
        assert [e.kind for e in records["O2"].events] == ["started", "locked", "unlocked"]
        assert records["O1"].state == "active"
        assert records["O1"].accepted_at == records["O1"].started_at
        assert store.upgrade() == ("0003", "0003")


def test_cohort_names_and_reasons_are_stored_in_one_form_and_never_with_hidden_characters(store):
    with (
        pytest.raises(StoreError, match=r"the cohort name 'c\\u200b' contains invisible characters \(U\+200B"),
        store.transaction() as tx,
    ):
        tx.create_cohort("c\u200b")
    with store.transaction() as tx:
        tx.create_cohort("Caf\u00e9 2026")
    with store.reading() as r:
        assert r.cohort("Cafe\u0301 2026").name == "Caf\u00e9 2026"  # looked up by what it shows
        with pytest.raises(StoreError, match="RIGHT-TO-LEFT MARK"):
            r.cohort("Caf\u00e9 2026\u200f")
    store.match("Cafe\u0301 2026", pm.synthetic_problem(4, seed=1))
    with store.reading() as r:
        pair = r.active_pairs("Caf\u00e9 2026")[0]
    with (
        pytest.raises(StoreError, match="the reason 'gone\\\\u2060' contains invisible characters"),
        store.transaction() as tx,
    ):
        tx.end_pair(pair.mentor_id, pair.mentee_id, "gone\u2060")
    with store.reading() as r:
        assert [c.name for c in r.cohorts()] == ["Caf\u00e9 2026"]
