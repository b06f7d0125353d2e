"""Stores are refused unchanged when they are not ours, damaged or newer; limits are the same on both backends.

Every case runs on SQLite and PostgreSQL (``store_location``) unless it is about files.
"""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine, inspect, text

import pairmatch as pm
from pairmatch.cli import main
from pairmatch.service import open_jobs
from pairmatch.store import ProgrammeStore, StoreError, store_url
from pairmatch.store.api import CONCURRENT_RETRIES, ConcurrentChangeError
from pairmatch.store.engine import FILE_MODE, StoreUnavailable, storage_full, write_transaction

from support.store import change, read

OPENERS = {
    "open": ProgrammeStore.open,
    "init": ProgrammeStore.init,
    "serve": open_jobs,
}


def tables(location):
    engine = create_engine(store_url(location))
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def run_cli(*argv, capsys):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("opener", list(OPENERS))
def test_another_applications_database_is_refused_and_left_as_it_is(store_location, opener):
    engine = create_engine(store_url(store_location))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)"))
        conn.execute(text("INSERT INTO invoices VALUES (1, 100)"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"not a programme store: it holds other tables \(invoices\)"):
        OPENERS[opener](store_location)
    assert tables(store_location) == ["invoices"]


def test_the_command_line_refuses_it_too_without_a_traceback(store_location, capsys):
    engine = create_engine(store_url(store_location))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    for action in ("init", "upgrade", "status"):
        code, printed = run_cli("store", action, "--store", store_location, capsys=capsys)
        assert code == 2, printed
        assert "not a programme store" in printed
        assert "Traceback" not in printed
    assert tables(store_location) == ["invoices"]


@pytest.mark.parametrize("opener", list(OPENERS))
def test_a_store_from_a_newer_pairmatch_is_refused_and_left_as_it_is(store_location, opener):
    ProgrammeStore.init(store_location).close()
    engine = create_engine(store_url(store_location))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    before = tables(store_location)
    engine.dispose()
    with pytest.raises(StoreError, match="made by a newer pairmatch"):
        OPENERS[opener](store_location)
    assert tables(store_location) == before


def test_upgrading_a_newer_store_says_why_instead_of_failing(store_location, capsys):
    ProgrammeStore.init(store_location).close()
    engine = create_engine(store_url(store_location))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, printed = run_cli("store", "upgrade", "--store", store_location, capsys=capsys)
    assert code == 2, printed
    assert "made by a newer pairmatch" in printed


@pytest.mark.parametrize(
    "content", [b"not a database at all, just text" * 40, b"SQLite format 3\x00" + b"\xff" * 4000], ids=["text", "torn"]
)
@pytest.mark.parametrize("opener", list(OPENERS))
def test_a_damaged_sqlite_file_is_refused_and_left_as_it_is(tmp_path, content, opener):
    path = tmp_path / "programme.db"
    path.write_bytes(content)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match="left as it is"):
        OPENERS[opener](path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(os.listdir(tmp_path)) == ["programme.db"]


@pytest.mark.parametrize("opener", ["init", "serve"])
def test_new_store_files_are_readable_by_their_owner_only(tmp_path, opener):
    path = tmp_path / "programme.db"
    made = OPENERS[opener](path)
    (getattr(made, "close", None) or made.engine.dispose)()
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE
    for name in os.listdir(tmp_path):  # the journal files too, while they exist
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == FILE_MODE, name


def test_length_limits_are_the_same_on_both_backends_and_checked_before_writing(store_location):
    long_id = "M" + "9" * 200
    with ProgrammeStore.init(store_location) as store:
        with pytest.raises(StoreError, match="a person's id is 201 characters long; the store keeps at most 200"):
            change(store, "add_people", [pm.Mentor(id=long_id)])
        with pytest.raises(StoreError, match="the cohort name is 201 characters long"):
            change(store, "create_cohort", "c" * 201)
        problem = pm.Problem(mentors=[pm.Mentor(id="M1", name="n" * 201)], mentees=[pm.Mentee(id="O1")])
        with pytest.raises(StoreError, match="the name of M1 is 201 characters long"):
            store.plan_match("2026", problem)
        assert read(store, "cohorts") == []


def test_database_errors_never_carry_the_statement_or_its_values(store_location):
    secret = "Ottoline Quigley-Marsh"
    with ProgrammeStore.init(store_location) as store:
        change(store, "add_people", [pm.Mentor(id="M1", name=secret)])
        with pytest.raises(StoreError) as err, write_transaction(store.engine) as conn:
            conn.execute(
                text(
                    "INSERT INTO people (person_id, side, name, data, created_at, updated_at) "
                    "VALUES ('M1', 'mentor', :name, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"name": secret},
            )
    assert "clashes with the store's rules" in str(err.value)
    assert secret not in str(err.value)
    assert "INSERT" not in str(err.value)


def test_a_full_store_is_reported_as_such():
    import sqlite3

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    assert storage_full(full)
    assert storage_full(StoreUnavailable("x", full=True))
    assert not storage_full(StoreUnavailable("x"))


def test_feedback_does_not_count_as_a_change_of_pairings(store_location):
    with ProgrammeStore.init(store_location) as store:
        store.match("2026", pm.pilot_problem())
        before = read(store, "cohort", "2026").revision
        [pair, *_] = read(store, "active_pairs", "2026")
        change(store, "record_feedback", pair.mentor_id, pair.mentee_id, 4, "going well")
        assert read(store, "cohort", "2026").revision == before


def test_a_rematch_solves_again_after_a_concurrent_change(store_location, monkeypatch):
    with ProgrammeStore.init(store_location) as store:
        store.match("2026", pm.pilot_problem())
        [first, second, *_] = read(store, "active_pairs", "2026")
        planned = []
        plan = ProgrammeStore.plan_rematch

        def plan_then_change(self, *args, **kwargs):
            proposal = plan(self, *args, **kwargs)
            planned.append(proposal)
            if len(planned) == 1:  # another coordinator ends a pair after this solve
                with ProgrammeStore.open(store_location) as other:
                    change(other, "end_pair", first.mentor_id, first.mentee_id, "moved away")
            return proposal

        monkeypatch.setattr(ProgrammeStore, "plan_rematch", plan_then_change)
        run, _ = store.rematch("2026")
        assert len(planned) == 2
        assert (first.mentor_id, first.mentee_id) not in {
            (p.mentor_id, p.mentee_id) for p in read(store, "active_pairs", "2026")
        }
        assert run.kind == "rematch"

        def always_changed(self, *args, **kwargs):
            proposal = plan(self, *args, **kwargs)
            with ProgrammeStore.open(store_location) as other:
                change(other, "lock_pair", second.mentor_id, second.mentee_id, locked=len(planned) % 2 == 0)
            planned.append(True)
            return proposal

        planned.clear()
        monkeypatch.setattr(ProgrammeStore, "plan_rematch", always_changed)
        with pytest.raises(ConcurrentChangeError):
            store.rematch("2026")
        assert len(planned) == CONCURRENT_RETRIES + 1
