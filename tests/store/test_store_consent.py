"""Consent in the programme store: proposals, answers, declines, expiry, and the schema upgrade to 0003."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytest.importorskip("sqlalchemy")

from alembic import command
from sqlalchemy import text

import pairmatch as pm
from pairmatch.consent import ConsentOptions
from pairmatch.store import ProgrammeStore, StoreError
from pairmatch.store.engine import _alembic_config, write_transaction

from support.store import change, read

CONSENT = ConsentOptions(required=True, expires_after_days=14)


@pytest.fixture
def store(store_location):
    with ProgrammeStore.init(store_location) as s:
        yield s


def by_pair(records):
    return {(r.mentor_id, r.mentee_id): r for r in records}


def test_pairs_wait_for_both_answers_and_a_decline_frees_both(store):
    problem = pm.synthetic_problem(8, 10, seed=4)  # two officers wait without a partner
    run, result = store.match("2026", problem, consent=CONSENT)
    records = read(store, "history", "2026")
    assert {r.state for r in records} == {"proposed"}
    assert all(r.expires_at == r.started_at + dt.timedelta(days=14) for r in records)
    assert [e.kind for e in records[0].events] == ["proposed"]
    info = read(store, "cohort", "2026")
    assert info.consent == CONSENT
    assert info.proposals == info.active_pairs == len(result.pairs)

    (m1, e1), (m2, e2) = run.pairs[0], run.pairs[1]
    first = change(store, "respond", m1, e1, accept=True, by=m1)
    assert first.state == "proposed"
    assert first.mentor_accepted_at is not None
    assert first.mentee_accepted_at is None
    with pytest.raises(StoreError, match="already accepted"):
        change(store, "respond", m1, e1, accept=True, by=m1)
    with pytest.raises(StoreError, match="neither"):
        change(store, "respond", m1, e1, accept=True, by=m2)
    both = change(store, "respond", m1, e1, accept=True, by=e1, reason="looking forward to it")
    assert both.state == "active"
    assert both.accepted_at == both.mentee_accepted_at
    assert [(e.kind, e.person) for e in both.events] == [
        ("proposed", None),
        ("accepted", m1),
        ("accepted", e1),
        ("started", None),
    ]
    assert both.events[2].reason == "looking forward to it"
    with pytest.raises(StoreError, match="not waiting for an answer"):
        change(store, "respond", m1, e1, accept=False)

    declined = change(store, "respond", m2, e2, accept=False, by=e2, reason="another focus")
    assert declined.state == "declined"
    assert declined.end_reason == f"declined by {e2}: another focus"
    assert [(e.kind, e.person) for e in declined.events] == [("proposed", None), ("declined", e2)]

    # The re-match frees both, never proposes the declined pair again, and proposes (not starts) new pairs.
    again, outcome = store.rematch("2026")
    kinds = {(c.mentor_id, c.mentee_id): c.change for c in outcome.changes}
    assert kinds[(m2, e2)] == "declined"
    assert (m2, e2) not in set(again.pairs)
    assert (m2, e2) in outcome.problem.rules.forbidden_pairs
    new = [c for c in outcome.changes if c.change == "new"]
    assert new, outcome.summary()
    assert any(f"the proposal of {p} with" in c.reason for c in new for p in (m2, e2))
    now = by_pair(read(store, "history", "2026"))
    assert all(now[(c.mentor_id, c.mentee_id)].state == "proposed" for c in new)
    assert now[(m1, e1)].state == "active"
    # Never formed, so not history: a later cohort may pair them.
    assert (m2, e2) not in {(p.mentor_id, p.mentee_id) for p in read(store, "past_pairings")}


def test_a_declined_pair_may_be_proposed_again_when_the_cohort_allows_it(store):
    problem = pm.synthetic_problem(6, 6, seed=2)
    run, _ = store.match("2026", problem, consent=CONSENT.model_copy(update={"repropose_declined": True}))
    pair = run.pairs[0]
    change(store, "respond", *pair, accept=False)
    _, outcome = store.rematch("2026")
    assert pair not in outcome.problem.rules.forbidden_pairs
    assert outcome.count("declined") == 1


def test_a_proposal_expires_after_its_days(store):
    problem = pm.synthetic_problem(6, 6, seed=3)
    run, _ = store.match("2026", problem, consent=ConsentOptions(required=True, expires_after_days=3))
    late, answered = run.pairs[0], run.pairs[1]
    change(store, "respond", *answered, accept=True)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with store.engine.begin() as conn:  # three days pass without an answer from the first pair
        conn.execute(text("UPDATE pairings SET expires_at = :t WHERE accepted_at IS NULL"), {"t": past})
    with pytest.raises(StoreError, match="expired on"):
        change(store, "respond", *late, accept=True)
    record = by_pair(read(store, "history", "2026"))[late]
    assert record.state == "proposed"
    assert record.overdue(dt.datetime.now(dt.UTC))
    _, outcome = store.rematch("2026")
    assert {(c.mentor_id, c.mentee_id) for c in outcome.changes if c.change == "expired"} >= {late}
    after = by_pair(read(store, "history", "2026"))
    assert after[late].state == "expired"
    assert after[late].events[-1].kind == "expired"
    assert abs((after[late].events[-1].at - past).total_seconds()) < 1
    assert after[answered].state == "active"
    # Recording expiries on its own (no re-match) finds none left.
    assert change(store, "expire_proposals", "2026") == []


def test_cohorts_without_consent_start_pairs_at_once(store):
    run, _ = store.match("2026", pm.pilot_problem())
    records = read(store, "history", "2026")
    assert {r.state for r in records} == {"active"}
    assert all(r.accepted_at == r.started_at for r in records)
    with pytest.raises(StoreError, match="not waiting for an answer"):
        change(store, "respond", *run.pairs[0], accept=True)


def test_upgrade_from_0002_keeps_pairings_and_allows_proposals(store_location):
    old = ProgrammeStore.init(store_location, revision="0002")
    now = "2026-01-05 10:00:00"
    with old.engine.begin() as conn:
        conn.execute(
            text(
                # No explicit ids: the new rows below take the next ones (a fresh database numbers from 1).
                "INSERT INTO people (person_id, side, name, data, created_at, updated_at) VALUES "
                "('M1', 'mentor', NULL, :m, :t, :t), ('O1', 'mentee', NULL, :o, :t, :t)"
            ),
            {"m": json.dumps({"id": "M1"}), "o": json.dumps({"id": "O1"}), "t": now},
        )
        conn.execute(
            text("INSERT INTO cohorts (name, description, created_at, revision) VALUES ('2025', '', :t, 2)"),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO runs (cohort_id, kind, created_at, request, base_request, params, seed, "
                "response, certificate, status, objective, versions, note) VALUES (1, 'match', :t, "
                "'{}', '{}', '{}', 0, '{}', '{}', 'optimal', 1.5, '{}', '')"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO pairings (cohort_id, mentor_pk, mentee_pk, run_id, started_at, locked) "
                "VALUES (1, 1, 2, 1, :t, true)"
            ),
            {"t": now},
        )
        conn.execute(
            text("INSERT INTO pairing_events (pairing_id, kind, at) VALUES (1, 'started', :t), (1, 'locked', :t)"),
            {"t": now},
        )
    assert old.upgrade() == ("0002", "0003")
    old.close()
    with ProgrammeStore.open(store_location) as store:
        (record,) = read(store, "history", "2025")
        assert record.state == "active"
        assert record.locked
        assert record.accepted_at == record.started_at == record.mentor_accepted_at
        assert [e.kind for e in record.events] == ["started", "locked"]
        info = read(store, "cohort", "2025")
        assert info.revision == 2
        assert info.consent == ConsentOptions()
        # The new event kinds are allowed by the upgraded table.
        store.match("2026", pm.pilot_problem(), consent=CONSENT)
        assert {r.state for r in read(store, "history", "2026")} == {"proposed"}
        # Back to 0002: proposals that never started go, formed pairings stay.
        with write_transaction(store.engine) as conn:
            command.downgrade(_alembic_config(conn), "0002")
        assert store.revision() == "0002"
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pairings")).scalar() == 1
            kinds = conn.execute(text("SELECT kind FROM pairing_events ORDER BY id")).scalars().all()
            assert kinds == ["started", "locked"]
        assert store.upgrade() == ("0002", "0003")


def test_overdue_proposals_are_recorded_as_expired_on_their_own(store):
    run, _ = store.match("2026", pm.synthetic_problem(5, 5, seed=6), consent=ConsentOptions(required=True))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    first, second = run.pairs[0], run.pairs[1]
    with store.engine.begin() as conn:
        for pair, when in ((first, past), (second, later)):
            conn.execute(
                text(
                    "UPDATE pairings SET expires_at = :t "
                    "WHERE mentor_pk = (SELECT id FROM people WHERE person_id = :m) "
                    "AND mentee_pk = (SELECT id FROM people WHERE person_id = :e)"
                ),
                {"t": when, "m": pair[0], "e": pair[1]},
            )
    before = read(store, "cohort", "2026").revision
    expired = change(store, "expire_proposals", "2026")
    assert [(r.mentor_id, r.mentee_id, r.state) for r in expired] == [(*first, "expired")]
    assert read(store, "cohort", "2026").revision == before + 1
    records = by_pair(read(store, "history", "2026"))
    assert records[second].state == "proposed"
    assert records[first].events[-1].kind == "expired"
