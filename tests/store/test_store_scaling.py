"""What matching a cohort through the store reads and writes depends on that cohort, not on
everything else the store holds: no earlier people or pairings loaded whole, no query per
person or pair, and the history read as plain columns gives exactly the pairings' records."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import event

import pairmatch as pm
from pairmatch.consent import ConsentOptions
from pairmatch.store import PastPairing, ProgrammeStore
from pairmatch.store.schema import EventRow, PairingRow, PersonRow

from support.store import change, read


def renamed(problem: pm.Problem, prefix: str) -> pm.Problem:
    """``problem`` with every id prefixed: other people with the same shape."""
    return problem.model_copy(
        update={
            "mentors": tuple(p.model_copy(update={"id": prefix + p.id}) for p in problem.mentors),
            "mentees": tuple(p.model_copy(update={"id": prefix + p.id}) for p in problem.mentees),
        }
    )


@pytest.fixture
def store(store_location):
    with ProgrammeStore.init(store_location) as s:
        yield s


def test_matching_a_cohort_loads_only_its_own_returning_people(store):
    earlier = renamed(pm.synthetic_problem(60, seed=1), "old-")
    run, _ = store.match("2025", earlier)
    change(store, "record_feedback", *run.pairs[0], 4)
    returning = earlier.mentors[0]
    cohort = renamed(pm.synthetic_problem(10, seed=2), "new-")
    cohort = cohort.model_copy(update={"mentors": (returning, *cohort.mentors[1:])})
    loaded: dict[str, list[object]] = {"people": [], "pairings": [], "events": []}

    def person(target, _context):
        loaded["people"].append(target.person_id)

    def pairing(target, _context):
        loaded["pairings"].append(target.id)

    def event_row(target, _context):
        loaded["events"].append(target.id)

    listeners = ((PersonRow, person), (PairingRow, pairing), (EventRow, event_row))
    for table, listener in listeners:
        event.listen(table, "load", listener)
    try:
        store.match("2026", cohort)
    finally:
        for table, listener in listeners:
            event.remove(table, "load", listener)
    # The returning mentor's stored details are compared with the new ones; nobody else is read
    # whole, and the history (60 pairings, their events) is read as columns.
    assert loaded == {"people": [returning.id], "pairings": [], "events": []}


@pytest.mark.parametrize("objective", ["max_score", "stable"])
def test_matching_takes_as_many_statements_for_ten_people_as_for_a_hundred(tmp_path, objective):
    counts = []
    for n in (10, 100):
        with ProgrammeStore.init(tmp_path / f"{objective}-{n}.db") as store:
            store.match("2025", renamed(pm.synthetic_problem(n, seed=3), "old-"))  # some history
            statements: list[str] = []

            def count(_conn, _cursor, statement, _parameters, _context, _executemany, seen=statements):
                seen.append(statement)

            event.listen(store.engine, "before_cursor_execute", count)
            store.match("2026", pm.synthetic_problem(n, seed=4), pm.SolveParams(objective=objective))
            event.remove(store.engine, "before_cursor_execute", count)
            counts.append(len(statements))
    assert counts[0] == counts[1]


def test_past_pairings_are_the_formed_pairings_of_the_history_with_their_mean_rating(store):
    problem = pm.synthetic_problem(8, seed=5)
    first, _ = store.match("2025", problem)
    (a, b), (c, d) = first.pairs[0], first.pairs[1]
    change(store, "record_feedback", a, b, 5)
    change(store, "record_feedback", a, b, 2)
    change(store, "record_feedback", c, d, 3)
    change(store, "end_pair", c, d, "not working")
    consent = ConsentOptions(required=True, expires_after_days=14)
    second, _ = store.match("2026", renamed(problem, "x-"), consent=consent)
    (e, f), (g, h) = second.pairs[0], second.pairs[1]
    change(store, "respond", e, f, accept=True)  # formed
    change(store, "respond", g, h, accept=False, by=h)  # declined: never formed
    change(store, "record_feedback", e, f, 4)

    past = read(store, "past_pairings")
    expected = [
        PastPairing(
            p.mentor_id, p.mentee_id, p.cohort, sum(p.ratings) / len(p.ratings) if p.ratings else None, p.active
        )
        for p in read(store, "history")
        if p.accepted_at is not None
    ]
    assert past == expected
    by_pair = {(p.mentor_id, p.mentee_id): p for p in past}
    assert by_pair[(a, b)].rating == 3.5
    assert by_pair[(c, d)] == PastPairing(c, d, "2025", 3.0, False)
    assert by_pair[(e, f)] == PastPairing(e, f, "2026", 4.0, True)
    assert (g, h) not in by_pair
    assert len(past) == len(first.pairs) + 1
