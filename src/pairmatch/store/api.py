"""`ProgrammeStore`: a running programme's people, cohorts, runs and pairing history.

Each method that changes the store is one transaction (see
`pairmatch.store.engine`). Several changes can be grouped in one
transaction with ``with store.transaction() as tx: ...``. The matching
methods (`ProgrammeStore.match`, `ProgrammeStore.rematch`) read the state,
solve outside any transaction, then write in one transaction that first
checks the cohort's revision, so a solve never overwrites a change another
coordinator made meanwhile (`ConcurrentChangeError`: run it again).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, selectinload

from ..consent import ConsentError, ConsentOptions, ProposalState, answer
from ..contract import MatchRequest, MatchResponse
from ..matching import solve
from ..models import Mentee, Mentor, Person, Problem
from ..params import SolveParams
from ..rematching import Changes, RematchResult, rematch
from ..result import MatchResult
from ..text import TextError, clean_text
from ..version import package_versions
from .engine import (
    StoreError,
    connect,
    current_revision,
    display_url,
    head_revision,
    migrate,
    read_transaction,
    store_revision,
    store_url,
    write_transaction,
)
from .history import HistoryOptions, PastPairing, with_history
from .records import CohortInfo, History, Member, PairingEvent, PairingRecord, Runs, StoredRun
from .schema import CohortRow, EventRow, MemberRow, PairingRow, PersonRow, RunRow, utcnow

__all__ = [
    "CONCURRENT_RETRIES",
    "ConcurrentChangeError",
    "ProgrammeStore",
    "Proposal",
    "Reader",
    "Writer",
    "package_versions",
]

PairIds = tuple[str, str]


class ConcurrentChangeError(StoreError):
    """The cohort changed between reading it and writing the solve's outcome; run the command again."""


def _plain(text: str, what: str) -> str:
    """``text`` in its one stored form (`clean_text`): stored text is listed on terminals for years,
    and a name is looked up by what it shows."""
    try:
        return clean_text(text)
    except TextError as err:
        raise StoreError(f"{what} {err}") from None


def _fits(text: str | None, what: str, column: Any) -> str | None:
    """``text`` when it fits ``column``: the same limit on SQLite (which would store anything) and PostgreSQL."""
    limit = column.type.length
    if text is not None and len(text) > limit:
        raise StoreError(f"{what} is {len(text)} characters long; the store keeps at most {limit}")
    return text


# Ids per ``IN (...)`` look-up: well under every backend's limit on bound parameters.
LOOKUP_CHUNK = 500

CONCURRENT_RETRIES = 3
"""How many times `ProgrammeStore.match` and `ProgrammeStore.rematch` solve again after a concurrent change."""


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _maybe_utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _utc(value)


def _excluded(problem: Problem, past: Iterable[PastPairing]) -> tuple[PairIds, ...]:
    """Earlier pairs whose two people are both in ``problem`` (what no-repeats keeps apart)."""
    mentors, mentees = problem.mentor_index(), problem.mentee_index()
    return tuple(
        dict.fromkeys((p.mentor_id, p.mentee_id) for p in past if p.mentor_id in mentors and p.mentee_id in mentees)
    )


def _consent_of(row: CohortRow) -> ConsentOptions:
    return ConsentOptions(
        required=bool(row.consent_required),
        expires_after_days=row.proposal_days,
        repropose_declined=bool(row.repropose_declined),
    )


class Reader:
    """Read access within one transaction (``store.reading()``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- look-ups ---------------------------------------------------------------------------

    def cohort_row(self, name: str, *, missing_ok: bool = False) -> CohortRow | None:
        """The stored row of the cohort ``name``; a `StoreError` naming the known cohorts
        when there is none (None instead with ``missing_ok``)."""
        name = _plain(name, "the cohort name")
        row = self.session.scalar(select(CohortRow).where(CohortRow.name == name))
        if row is None and not missing_ok:
            known = self.session.scalars(select(CohortRow.name).order_by(CohortRow.id)).all()
            hint = f" (cohorts: {', '.join(known)})" if known else " (the store has no cohorts yet)"
            raise StoreError(f"no cohort named {name!r}{hint}")
        return row

    def _person_keys(self, person_ids: Iterable[str]) -> dict[str, int]:
        """The stored key of each of ``person_ids`` that is in the store (one look-up per
        `LOOKUP_CHUNK` ids, whatever else the store holds)."""
        wanted = sorted(set(person_ids))
        keys: dict[str, int] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            query = select(PersonRow.person_id, PersonRow.id).where(PersonRow.person_id.in_(chunk))
            keys.update((person_id, key) for person_id, key in self.session.execute(query))
        return keys

    def person_row(self, person_id: str) -> PersonRow:
        """The stored row of the person ``person_id``; a `StoreError` when there is none."""
        person_id = _plain(person_id, "the id")
        row = self.session.scalar(select(PersonRow).where(PersonRow.person_id == person_id))
        if row is None:
            raise StoreError(f"nobody with id {person_id!r} in the store")
        return row

    def cohort(self, name: str, *, missing_ok: bool = False) -> CohortInfo | None:
        """A cohort and its counts (None when ``missing_ok`` and it does not exist)."""
        row = self.cohort_row(name, missing_ok=missing_ok)
        return None if row is None else self._cohort_info(row)

    def _cohort_info(self, row: CohortRow) -> CohortInfo:
        s = self.session
        members = (
            s.scalar(
                select(func.count())
                .select_from(MemberRow)
                .where(MemberRow.cohort_id == row.id, MemberRow.left_at.is_(None))
            )
            or 0
        )
        active = (
            s.scalar(
                select(func.count())
                .select_from(PairingRow)
                .where(PairingRow.cohort_id == row.id, PairingRow.ended_at.is_(None))
            )
            or 0
        )
        runs = s.scalar(select(func.count()).select_from(RunRow).where(RunRow.cohort_id == row.id)) or 0
        proposals = (
            s.scalar(
                select(func.count())
                .select_from(PairingRow)
                .where(PairingRow.cohort_id == row.id, PairingRow.ended_at.is_(None), PairingRow.accepted_at.is_(None))
            )
            or 0
        )
        return CohortInfo(
            row.name,
            row.description,
            _utc(row.created_at),
            row.revision,
            members,
            active,
            runs,
            _consent_of(row),
            proposals,
        )

    def cohorts(self) -> list[CohortInfo]:
        """Every cohort, oldest first."""
        return [self._cohort_info(r) for r in self.session.scalars(select(CohortRow).order_by(CohortRow.id))]

    def latest_cohort(self) -> str | None:
        """The name of the cohort created last (None: no cohort yet)."""
        return self.session.scalar(select(CohortRow.name).order_by(CohortRow.id.desc()).limit(1))

    def members(self, cohort: str, *, include_left: bool = True) -> list[Member]:
        """Who is (and was) in a cohort, in joining order."""
        row = self.cohort_row(cohort)
        assert row is not None
        query = (
            select(MemberRow)
            .where(MemberRow.cohort_id == row.id)
            .options(selectinload(MemberRow.person))
            .order_by(MemberRow.id)
        )
        out = []
        for m in self.session.scalars(query):
            if include_left or m.left_at is None:
                out.append(
                    Member(
                        m.person.person_id,
                        m.person.side,
                        m.person.name,
                        _utc(m.joined_at),
                        m.join_reason,
                        _maybe_utc(m.left_at),
                        m.leave_reason,
                    )
                )
        return out

    def person(self, person_id: str) -> Person:
        """The stored details of someone, as a `Mentor` or `Mentee`."""
        row = self.person_row(person_id)
        return (Mentor if row.side == "mentor" else Mentee).model_validate(row.data)

    def _pairings(self, *conditions: Any) -> History:
        query = (
            select(PairingRow, CohortRow.name)
            .join(CohortRow, PairingRow.cohort_id == CohortRow.id)
            .where(*conditions)
            .options(
                selectinload(PairingRow.mentor),
                selectinload(PairingRow.mentee),
                selectinload(PairingRow.events).selectinload(EventRow.person),
            )
            .order_by(PairingRow.id)
        )
        found = list(self.session.execute(query))
        names = {x.person_id: x.name for p, _ in found for x in (p.mentor, p.mentee) if x.name}
        return History((self._record(p, cohort) for p, cohort in found), names)

    @staticmethod
    def _record(p: PairingRow, cohort: str) -> PairingRecord:
        events = tuple(
            PairingEvent(e.kind, _utc(e.at), e.reason, e.rating, e.run_id, e.person.person_id if e.person else None)
            for e in p.events
        )
        return PairingRecord(
            p.id,
            cohort,
            p.mentor.person_id,
            p.mentee.person_id,
            p.run_id,
            _utc(p.started_at),
            _maybe_utc(p.ended_at),
            p.end_reason,
            p.ended_run_id,
            bool(p.locked),
            events,
            _maybe_utc(p.accepted_at),
            _maybe_utc(p.mentor_accepted_at),
            _maybe_utc(p.mentee_accepted_at),
            _maybe_utc(p.expires_at),
        )

    def active_pairs(self, cohort: str) -> History:
        """The cohort's pairs now, in the order they started."""
        row = self.cohort_row(cohort)
        assert row is not None
        return self._pairings(PairingRow.cohort_id == row.id, PairingRow.ended_at.is_(None))

    def history(self, cohort: str | None = None, person: str | None = None) -> History:
        """Every pairing (active and ended) with its events, of a cohort and/or a person."""
        conditions: list[Any] = []
        if cohort is not None:
            row = self.cohort_row(cohort)
            assert row is not None
            conditions.append(PairingRow.cohort_id == row.id)
        if person is not None:
            pk = self.person_row(person).id
            conditions.append((PairingRow.mentor_pk == pk) | (PairingRow.mentee_pk == pk))
        return self._pairings(*conditions)

    def past_pairings(self) -> list[PastPairing]:
        """Every pairing ever formed, with its mean rating, for `with_history`.

        A proposal nobody accepted (still waiting, declined or expired) never
        formed a pair: it is not history (the cohort's own re-matches keep a
        declined pair out, `pairmatch.consent`).
        """
        # Two column queries (no records, no events loaded): the store may hold years of pairings.
        mentor, mentee = aliased(PersonRow), aliased(PersonRow)
        formed = PairingRow.accepted_at.is_not(None)
        pairings = self.session.execute(
            select(PairingRow.id, mentor.person_id, mentee.person_id, CohortRow.name, PairingRow.ended_at)
            .join(CohortRow, PairingRow.cohort_id == CohortRow.id)
            .join(mentor, PairingRow.mentor_pk == mentor.id)
            .join(mentee, PairingRow.mentee_pk == mentee.id)
            .where(formed)
            .order_by(PairingRow.id)
        )
        ratings: dict[int, list[int]] = {}
        feedback = self.session.execute(
            select(EventRow.pairing_id, EventRow.rating)
            .join(PairingRow, EventRow.pairing_id == PairingRow.id)
            .where(formed, EventRow.kind == "feedback", EventRow.rating.is_not(None))
            .order_by(EventRow.id)
        )
        for pairing_id, rating in feedback:
            assert rating is not None
            ratings.setdefault(pairing_id, []).append(rating)
        out = []
        for pairing_id, mentor_id, mentee_id, cohort, ended_at in pairings:
            rated = ratings.get(pairing_id)
            mean = sum(rated) / len(rated) if rated else None
            out.append(PastPairing(mentor_id, mentee_id, cohort, mean, ended_at is None))
        return out

    def _run(self, row: RunRow, cohort: str) -> StoredRun:
        return StoredRun(
            row.id,
            cohort,
            row.kind,
            row.parent_id,
            _utc(row.created_at),
            row.status,
            row.objective,
            row.seed,
            dict(row.params),
            dict(row.certificate),
            dict(row.versions),
            row.move_penalty,
            None if row.changes is None else dict(row.changes),
            row.note,
            row.request,
            row.base_request,
            row.response,
        )

    def run(self, run_id: int) -> StoredRun:
        """A recorded run (its request, response and provenance)."""
        found = self.session.execute(select(RunRow, CohortRow.name).join(CohortRow).where(RunRow.id == run_id)).first()
        if found is None:
            raise StoreError(f"no run {run_id} in the store")
        return self._run(*found)

    def runs(self, cohort: str | None = None) -> Runs:
        """Recorded runs, oldest first."""
        query = select(RunRow, CohortRow.name).join(CohortRow).order_by(RunRow.id)
        if cohort is not None:
            row = self.cohort_row(cohort)
            assert row is not None
            query = query.where(RunRow.cohort_id == row.id)
        return Runs(self._run(*found) for found in self.session.execute(query))

    def latest_run(self, cohort: str) -> StoredRun:
        """The cohort's most recent run."""
        row = self.cohort_row(cohort)
        assert row is not None
        found = self.session.scalar(
            select(RunRow).where(RunRow.cohort_id == row.id).order_by(RunRow.id.desc()).limit(1)
        )
        if found is None:
            raise StoreError(f"cohort {cohort!r} has no run yet; match it first")
        return self._run(found, cohort)


class Writer(Reader):
    """Read and write access within one write transaction (``store.transaction()``)."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        super().__init__(session)
        self.now = now

    @staticmethod
    def _touch(cohort: CohortRow) -> None:
        cohort.revision = cohort.revision + 1

    def add_people(self, people: Iterable[Person]) -> int:
        """Add people or update their details (matched by id); returns how many were added."""
        people = list(people)
        if not people:
            return 0
        existing: dict[str, PersonRow] = {}
        ids = sorted({p.id for p in people})
        for start in range(0, len(ids), LOOKUP_CHUNK):  # only the people given, whoever else is stored
            chunk = ids[start : start + LOOKUP_CHUNK]
            existing.update(
                (r.person_id, r) for r in self.session.scalars(select(PersonRow).where(PersonRow.person_id.in_(chunk)))
            )
        new: dict[str, dict[str, Any]] = {}
        for person in people:
            _fits(person.id, "a person's id", PersonRow.__table__.c.person_id)
            _fits(person.name, f"the name of {person.id}", PersonRow.__table__.c.name)
        for person in people:
            side = "mentor" if isinstance(person, Mentor) else "mentee"
            data = person.model_dump(mode="json")
            row = existing.get(person.id)
            if row is None:
                new[person.id] = {
                    "person_id": person.id,
                    "side": side,
                    "name": person.name,
                    "data": data,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            elif row.side != side:
                raise StoreError(f"{person.id!r} is stored as a {row.side}, not a {side}")
            elif row.data != data:
                row.data, row.name, row.updated_at = data, person.name, self.now
        self.session.flush()
        if new:
            # One batched insert: a cohort brings thousands of people at once.
            self.session.execute(insert(PersonRow), list(new.values()))
        return len(new)

    def create_cohort(self, name: str, description: str = "", consent: ConsentOptions | None = None) -> CohortInfo:
        """A new, empty cohort (``consent``: whether its new pairs wait for both people to accept)."""
        if not name or not name.strip():
            raise StoreError("a cohort needs a name")
        name = _plain(name, "the cohort name")
        _fits(name, "the cohort name", CohortRow.__table__.c.name)
        description = _plain(description, "the cohort description")
        if self.cohort_row(name, missing_ok=True) is not None:
            raise StoreError(f"cohort {name!r} already exists")
        row = CohortRow(name=name, description=description, created_at=self.now, revision=0)
        self._set_consent(row, consent or ConsentOptions())
        self.session.add(row)
        self.session.flush()
        return self._cohort_info(row)

    @staticmethod
    def _set_consent(row: CohortRow, consent: ConsentOptions) -> None:
        row.consent_required = consent.required
        row.proposal_days = consent.expires_after_days
        row.repropose_declined = consent.repropose_declined

    def set_consent(self, cohort: str, consent: ConsentOptions) -> CohortInfo:
        """Change whether the cohort's *new* pairs wait for both people to accept (current pairs stay as they are)."""
        row = self.cohort_row(cohort)
        assert row is not None
        if _consent_of(row) != consent:
            self._set_consent(row, consent)
            self._touch(row)
            self.session.flush()
        return self._cohort_info(row)

    def add_members(self, cohort: str, person_ids: Iterable[str], reason: str = "") -> int:
        """Add stored people to a cohort; returns how many were new members."""
        row = self.cohort_row(cohort)
        assert row is not None
        person_ids = list(person_ids)
        keys = self._person_keys(person_ids)
        present = {m.person_pk: m for m in self.session.scalars(select(MemberRow).where(MemberRow.cohort_id == row.id))}
        rows: dict[int, dict[str, Any]] = {}
        for pid in person_ids:
            key = keys.get(pid)
            if key is None:
                raise StoreError(f"nobody with id {pid!r} in the store; add them first")
            member = present.get(key)
            if member is None:
                rows[key] = {
                    "cohort_id": row.id,
                    "person_pk": key,
                    "joined_at": self.now,
                    "join_reason": reason,
                }
            elif member.left_at is not None:
                raise StoreError(f"{pid!r} left cohort {cohort!r}; a person cannot rejoin the same cohort")
        if rows:
            self.session.execute(insert(MemberRow), list(rows.values()))
            self._touch(row)
        self.session.flush()
        return len(rows)

    def _active(self, cohort: CohortRow | None, mentor_id: str, mentee_id: str) -> PairingRow:
        mentor, mentee = self.person_row(mentor_id), self.person_row(mentee_id)
        query = select(PairingRow).where(
            PairingRow.mentor_pk == mentor.id, PairingRow.mentee_pk == mentee.id, PairingRow.ended_at.is_(None)
        )
        if cohort is not None:
            query = query.where(PairingRow.cohort_id == cohort.id)
        rows = self.session.scalars(query).all()
        if not rows:
            where = f" in cohort {cohort.name!r}" if cohort is not None else ""
            raise StoreError(f"{mentor_id} and {mentee_id} have no active pairing{where}")
        if len(rows) > 1:
            raise StoreError(f"{mentor_id} and {mentee_id} are paired in several cohorts; name the cohort")
        return rows[0]

    def _end(
        self,
        pairing: PairingRow,
        reason: str,
        run_id: int | None = None,
        *,
        kind: str = "ended",
        at: dt.datetime | None = None,
        person: int | None = None,
    ) -> None:
        at = at or self.now
        pairing.ended_at, pairing.end_reason, pairing.ended_run_id = at, reason, run_id
        pairing.locked = False
        self.session.add(
            EventRow(pairing_id=pairing.id, kind=kind, at=at, reason=reason, run_id=run_id, person_pk=person)
        )

    def respond(
        self,
        mentor_id: str,
        mentee_id: str,
        *,
        accept: bool,
        by: str | None = None,
        reason: str = "",
        cohort: str | None = None,
    ) -> PairingRecord:
        """Record an answer to a proposed pair (`pairmatch.consent`).

        ``by`` is the mentor's or the mentee's id (None: the answer is both
        people's). The pair starts when both have accepted; a decline ends
        the proposal and frees both people for the next re-match. A proposal
        whose time ran out takes no answer (the next re-match records it as
        expired).
        """
        reason = _plain(reason, "the reason")
        row = self.cohort_row(cohort) if cohort is not None else None
        pairing = self._active(row, mentor_id, mentee_id)
        if pairing.accepted_at is not None:
            raise StoreError(
                f"{mentor_id} - {mentee_id} is not waiting for an answer: it started on "
                f"{_utc(pairing.accepted_at):%Y-%m-%d %H:%M} UTC"
            )
        proposal = ProposalState(
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            proposed_at=_utc(pairing.started_at),
            expires_at=_maybe_utc(pairing.expires_at),
            mentor_accepted_at=_maybe_utc(pairing.mentor_accepted_at),
            mentee_accepted_at=_maybe_utc(pairing.mentee_accepted_at),
        )
        try:
            outcome = answer(proposal, accept=accept, by=by, at=self.now, reason=reason)
        except ConsentError as err:
            raise StoreError(str(err)) from None
        person = None if by is None else self.person_row(by).id
        if outcome.state == "declined":
            text = f"declined by {by or 'both'}" + (f": {reason}" if reason else "")
            self._end(pairing, text, kind="declined", person=person)
            return self._changed(pairing)
        pairing.mentor_accepted_at, pairing.mentee_accepted_at = outcome.mentor_accepted_at, outcome.mentee_accepted_at
        if outcome.state == "active":
            pairing.accepted_at = self.now
        for event in outcome.events:
            who = person if event.person is not None else None
            self.session.add(
                EventRow(pairing_id=pairing.id, kind=event.kind, at=event.at, reason=event.reason, person_pk=who)
            )
        return self._changed(pairing)

    def expire_proposals(self, cohort: str) -> list[PairingRecord]:
        """Record every proposal of the cohort whose time ran out as expired (at its expiry time)."""
        row = self.cohort_row(cohort)
        assert row is not None
        overdue = self.session.scalars(
            select(PairingRow).where(
                PairingRow.cohort_id == row.id,
                PairingRow.ended_at.is_(None),
                PairingRow.accepted_at.is_(None),
                PairingRow.expires_at.is_not(None),
                PairingRow.expires_at <= self.now,
            )
        ).all()
        for pairing in overdue:
            self._expire(pairing)
        if overdue:
            self._touch(row)
        self.session.flush()
        return [self._changed(p, touch=False) for p in overdue]

    def _expire(self, pairing: PairingRow, run_id: int | None = None) -> None:
        assert pairing.expires_at is not None
        self._end(pairing, "expired without both answers", run_id, kind="expired", at=_utc(pairing.expires_at))

    def _changed(self, pairing: PairingRow, *, touch: bool = True) -> PairingRecord:
        """After a change to one pairing: bump its cohort's revision (when ``touch``) and read it back."""
        cohort_row = self.session.get(CohortRow, pairing.cohort_id)
        assert cohort_row is not None
        if touch:
            self._touch(cohort_row)
        self.session.flush()
        self.session.refresh(pairing)
        return self._record(pairing, cohort_row.name)

    def end_pair(self, mentor_id: str, mentee_id: str, reason: str, cohort: str | None = None) -> PairingRecord:
        """End an active pairing (the coordinator's decision, with the reason)."""
        if not reason or not reason.strip():
            raise StoreError("ending a pair needs a reason")
        reason = _plain(reason, "the reason")
        row = self.cohort_row(cohort) if cohort is not None else None
        pairing = self._active(row, mentor_id, mentee_id)
        if pairing.locked:
            raise StoreError(f"{mentor_id} - {mentee_id} is locked; unlock it first")
        self._end(pairing, reason)
        return self._changed(pairing)

    def lock_pair(
        self, mentor_id: str, mentee_id: str, *, locked: bool = True, reason: str = "", cohort: str | None = None
    ) -> PairingRecord:
        """Lock (or unlock) an active pairing: re-matches never touch a locked pair."""
        reason = _plain(reason, "the reason")
        row = self.cohort_row(cohort) if cohort is not None else None
        pairing = self._active(row, mentor_id, mentee_id)
        changed = bool(pairing.locked) != locked
        if changed:
            pairing.locked = locked
            self.session.add(
                EventRow(
                    pairing_id=pairing.id, kind="locked" if locked else "unlocked", at=self.now, reason=reason or None
                )
            )
        return self._changed(pairing, touch=changed)

    def record_feedback(
        self, mentor_id: str, mentee_id: str, rating: int, comment: str = "", cohort: str | None = None
    ) -> PairingRecord:
        """Record a feedback rating (whole number 1-5) on a pair's latest pairing."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise StoreError(f"a rating is a whole number from 1 to 5, got {rating!r}")
        comment = _plain(comment, "the comment")
        mentor, mentee = self.person_row(mentor_id), self.person_row(mentee_id)
        query = select(PairingRow).where(PairingRow.mentor_pk == mentor.id, PairingRow.mentee_pk == mentee.id)
        if cohort is not None:
            row = self.cohort_row(cohort)
            assert row is not None
            query = query.where(PairingRow.cohort_id == row.id)
        pairing = self.session.scalars(query.order_by(PairingRow.id.desc()).limit(1)).first()
        if pairing is None:
            raise StoreError(f"{mentor_id} and {mentee_id} have never been paired")
        self.session.add(
            EventRow(pairing_id=pairing.id, kind="feedback", at=self.now, rating=rating, reason=comment or None)
        )
        # Feedback changes no pairing: a re-match planned meanwhile stays valid.
        return self._changed(pairing, touch=False)

    def leave(self, cohort: str, person_id: str, reason: str, run_id: int | None = None) -> list[PairingRecord]:
        """Record that someone left a cohort; their active pairings end. Returns those pairings."""
        reason = _plain(reason, "the reason")
        row = self.cohort_row(cohort)
        assert row is not None
        person = self.person_row(person_id)
        member = self.session.scalar(
            select(MemberRow).where(MemberRow.cohort_id == row.id, MemberRow.person_pk == person.id)
        )
        if member is None:
            raise StoreError(f"{person_id!r} is not in cohort {cohort!r}")
        if member.left_at is not None:
            raise StoreError(f"{person_id!r} already left cohort {cohort!r}")
        member.left_at, member.leave_reason = self.now, reason or "left"
        ended = self.session.scalars(
            select(PairingRow).where(
                PairingRow.cohort_id == row.id,
                PairingRow.ended_at.is_(None),
                (PairingRow.mentor_pk == person.id) | (PairingRow.mentee_pk == person.id),
            )
        ).all()
        for pairing in ended:
            self._end(pairing, f"{person_id} left" + (f": {reason}" if reason else ""), run_id)
        self._touch(row)
        self.session.flush()
        return [self._record(p, cohort) for p in ended]

    def record_run(
        self,
        cohort: str,
        problem: Problem,
        params: SolveParams,
        result: MatchResult,
        *,
        base_problem: Problem | None = None,
        kind: str = "match",
        parent: int | None = None,
        rematch_result: RematchResult | None = None,
        settings: dict[str, Any] | None = None,
        expected_revision: int | None = None,
        leave_reason: str = "",
        note: str = "",
        consent: ConsentOptions | None = None,
    ) -> StoredRun:
        """Record a solve and make its pairs the cohort's current pairings.

        The cohort is created if needed and the problem's people are added
        (or updated) and made members. A ``match`` run needs a cohort without
        active pairs; a ``rematch`` run ends the pairs it no longer has (with
        the reason from ``rematch_result``) and starts the new ones.
        ``expected_revision`` (the cohort's revision when the solve read it;
        0 for a new cohort) guards against changes made meanwhile.
        ``consent`` (default: the cohort's own, for a new cohort none) decides
        whether new pairs start at once or are proposed (`pairmatch.consent`).
        """
        if kind not in ("match", "rematch"):
            raise StoreError(f"unknown run kind {kind!r}")
        leave_reason = _plain(leave_reason, "the reason")
        note = _plain(note, "the note")
        base_problem = base_problem or problem
        row = self.cohort_row(cohort, missing_ok=True)
        revision = 0 if row is None else row.revision
        if expected_revision is not None and revision != expected_revision:
            raise ConcurrentChangeError(
                f"cohort {cohort!r} changed while solving (revision {expected_revision} -> {revision}); "
                "nothing was written: run the command again"
            )
        if row is None:
            self.create_cohort(cohort, consent=consent)
            row = self.cohort_row(cohort)
            assert row is not None
        elif consent is not None:
            self.set_consent(cohort, consent)
        active = self.session.scalars(
            select(PairingRow).where(PairingRow.cohort_id == row.id, PairingRow.ended_at.is_(None))
        ).all()
        if kind == "match" and active:
            raise StoreError(f"cohort {cohort!r} already has {len(active)} active pairs; use a re-match to change them")
        people = [*problem.mentors, *problem.mentees]
        self.add_people(people)
        joined = {p.id for p in rematch_result.applied.join} if rematch_result else set()
        self.add_members(
            cohort,
            [p.id for p in people if p.id not in joined],
            reason="initial" if kind == "match" else "in the programme",
        )
        if joined:
            self.add_members(cohort, sorted(joined), reason=f"joined (re-match after run {parent})")
        request = MatchRequest.from_problem(problem, params, explain=False)
        base = MatchRequest.from_problem(base_problem, params, explain=False)
        response = MatchResponse.from_result(result, explain=False)
        run = RunRow(
            cohort_id=row.id,
            parent_id=parent,
            kind=kind,
            created_at=self.now,
            request=request.model_dump_json(),
            base_request=base.model_dump_json(),
            params={"solve": params.model_dump(mode="json"), **(settings or {})},
            seed=result.seed,
            response=response.model_dump_json(),
            certificate=response.certificate,
            status=result.status,
            objective=result.objective,
            versions=package_versions(),
            move_penalty=(
                None
                if rematch_result is None or math.isinf(rematch_result.move_penalty)
                else rematch_result.move_penalty
            ),
            changes=rematch_result.to_dict() if rematch_result else None,
            note=note,
        )
        self.session.add(run)
        self.session.flush()
        if rematch_result is not None:
            for pid in rematch_result.applied.leave:
                member = self.session.scalar(
                    select(MemberRow).join(PersonRow).where(MemberRow.cohort_id == row.id, PersonRow.person_id == pid)
                )
                if member is not None and member.left_at is None:
                    self.leave(cohort, pid, leave_reason, run.id)
        self._apply_pairs(row, run, result, rematch_result)
        self._touch(row)
        self.session.flush()
        return self.run(run.id)

    def _apply_pairs(
        self, cohort: CohortRow, run: RunRow, result: MatchResult, rematch_result: RematchResult | None
    ) -> None:
        # The keys of the cohort's members: everyone in the result and in its current pairings.
        members = self.session.execute(
            select(PersonRow.person_id, PersonRow.id)
            .join(MemberRow, MemberRow.person_pk == PersonRow.id)
            .where(MemberRow.cohort_id == cohort.id)
        )
        ids = {person_id: key for person_id, key in members}
        names = {v: k for k, v in ids.items()}
        wanted = {(ids[p.mentor_id], ids[p.mentee_id]) for p in result.pairs}
        why = {(c.mentor_id, c.mentee_id): c for c in rematch_result.changes} if rematch_result else {}
        locked = set(rematch_result.applied.locked) if rematch_result else set()
        active = self.session.scalars(
            select(PairingRow).where(PairingRow.cohort_id == cohort.id, PairingRow.ended_at.is_(None))
        ).all()
        have = set()
        for pairing in active:
            key = (pairing.mentor_pk, pairing.mentee_pk)
            pair = (names[key[0]], names[key[1]])
            if key in wanted:
                have.add(key)
                if pair in locked and not pairing.locked:
                    pairing.locked = True
                    self.session.add(
                        EventRow(
                            pairing_id=pairing.id,
                            kind="locked",
                            at=self.now,
                            run_id=run.id,
                            reason="locked for re-match",
                        )
                    )
                continue
            change = why.get(pair)
            if change is not None and change.change == "expired" and pairing.expires_at is not None:
                self._expire(pairing, run.id)
                continue
            reason = change.reason if change is not None else "not in the new matching"
            self._end(pairing, f"re-match run {run.id}: {reason}", run.id)
        self.session.flush()
        starting = [p for p in result.pairs if (ids[p.mentor_id], ids[p.mentee_id]) not in have]
        if not starting:
            return
        options = _consent_of(cohort)
        accepted = None if options.required else self.now
        expires = options.expires_at(self.now)
        # One batched insert, then one read of the new ids: RETURNING in the order of the rows
        # would make SQLite insert them one statement at a time.
        self.session.execute(
            insert(PairingRow),
            [
                {
                    "cohort_id": cohort.id,
                    "mentor_pk": ids[p.mentor_id],
                    "mentee_pk": ids[p.mentee_id],
                    "run_id": run.id,
                    "started_at": self.now,
                    "locked": False,
                    "accepted_at": accepted,
                    "mentor_accepted_at": accepted,
                    "mentee_accepted_at": accepted,
                    "expires_at": expires,
                }
                for p in starting
            ],
        )
        # The run's new pairings: at most one current pairing of two people in a cohort.
        new = self.session.execute(
            select(PairingRow.id, PairingRow.mentor_pk, PairingRow.mentee_pk).where(
                PairingRow.cohort_id == cohort.id, PairingRow.run_id == run.id, PairingRow.ended_at.is_(None)
            )
        )
        created = {(mentor_pk, mentee_pk): pairing_id for pairing_id, mentor_pk, mentee_pk in new}
        events = []
        for p in starting:
            change = why.get((p.mentor_id, p.mentee_id))
            events.append(
                {
                    "pairing_id": created[(ids[p.mentor_id], ids[p.mentee_id])],
                    "kind": "proposed" if options.required else "started",
                    "at": self.now,
                    "run_id": run.id,
                    "reason": change.reason if change is not None else f"matched by run {run.id}",
                }
            )
        self.session.execute(insert(EventRow), events)


class ProgrammeStore:
    """A programme store: SQLite file (default) or any SQLAlchemy database URL.

    Open an existing store with `ProgrammeStore.open`, create one with
    `ProgrammeStore.init`. Read with ``with store.reading() as r:`` (a
    `Reader`: cohorts, members, pairings, history, runs) and change it with
    ``with store.transaction() as tx:`` (a `Writer`: people, cohorts, ending,
    locking, responses, feedback), each one transaction; the matching methods
    below solve outside any transaction and record in one.

    Examples
    --------
    >>> import tempfile, os, pairmatch as pm
    >>> path = os.path.join(tempfile.mkdtemp(), "programme.db")
    >>> store = ProgrammeStore.init(path)
    >>> run, result = store.match("2026", pm.pilot_problem())
    >>> with store.reading() as r:
    ...     [(p.mentor_id, p.mentee_id) for p in r.active_pairs("2026")]
    [('M1', 'O1'), ('M2', 'O2'), ('M3', 'O3')]
    >>> with store.transaction() as tx:
    ...     tx.end_pair("M1", "O1", "schedules never fit").ended_at is not None
    True
    >>> with store.reading() as r:
    ...     r.run(run.id).solve_again().objective == result.objective
    True
    >>> store.close()
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, location: str | os.PathLike[str] | None = None) -> ProgrammeStore:
        """Open an existing store at its newest schema (`StoreError` otherwise, naming the fix).

        A database that is not a store, a damaged one, or a store from a newer
        pairmatch is refused before anything is written to it.
        """
        url = store_url(location)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database
            if path and path != ":memory:" and not os.path.exists(path):
                raise StoreError(f"no programme store at {path}; create it with: pairmatch store init --store {path}")
        try:
            found = store_revision(url)
        except OperationalError as err:
            raise StoreError(f"cannot open the store at {display_url(url)}: {err.orig}") from err
        head = head_revision()
        if found is None:
            raise StoreError(
                f"{display_url(url)} is not a programme store yet; "
                f"create it with: pairmatch store init --store {display_url(url)}"
            )
        if found != head:
            raise StoreError(
                f"the store at {display_url(url)} has schema revision {found}, this pairmatch needs "
                f"{head}; upgrade it with: pairmatch store upgrade --store {display_url(url)}"
            )
        return cls(connect(url), url)

    @classmethod
    def init(cls, location: str | os.PathLike[str] | None = None, *, revision: str = "head") -> ProgrammeStore:
        """Create the store (a new SQLite file, or the tables in an existing database) or bring it to ``revision``."""
        url = store_url(location)
        engine = connect(url)
        if engine.dialect.name == "sqlite" and engine.url.database:
            folder = os.path.dirname(engine.url.database)
            if folder and not os.path.isdir(folder):
                raise StoreError(f"cannot create {engine.url.database}: folder {folder} does not exist")
        migrate(engine, revision)
        return cls(engine, url)

    def revision(self) -> str | None:
        """The schema revision of the database (None when it is not a store)."""
        with read_transaction(self.engine) as conn:
            return current_revision(conn)

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        """Bring the schema to ``revision`` in one transaction; returns ``(before, after)``."""
        return migrate(self.engine, revision)

    def tables(self) -> list[str]:
        """Names of the tables in the database."""
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ProgrammeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProgrammeStore({display_url(self.url)!r})"

    # -- transactions -----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One write transaction: all of its changes are kept, or (on any error) none."""
        try:
            with write_transaction(self.engine) as conn:
                session = Session(bind=conn, expire_on_commit=False, autoflush=True)
                try:
                    yield Writer(session, utcnow())
                    session.flush()
                finally:
                    session.close()
        except IntegrityError as err:
            raise StoreError(f"the change clashes with the store's rules: {err.orig}") from err

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reader]:
        """One consistent read of the store."""
        with read_transaction(self.engine) as conn:
            session = Session(bind=conn)
            try:
                yield Reader(session)
            finally:
                session.close()

    # -- matching ---------------------------------------------------------------------------

    def plan_match(
        self,
        cohort: str,
        problem: Problem,
        params: SolveParams | None = None,
        *,
        history: HistoryOptions | None = None,
        consent: ConsentOptions | None = None,
    ) -> Proposal:
        """Solve a cohort's first matching using the programme's history, without recording it.

        By default nobody is paired with someone they were paired with
        before (`HistoryOptions`; `Proposal.excluded` lists those pairs). The
        cohort must have no current pairs. With ``consent`` (default: the
        cohort's own, none for a new cohort) the pairs are recorded as
        proposed until both people accept (`pairmatch.consent`). `commit`
        records the proposal.
        """
        params = params or SolveParams()
        history = history or HistoryOptions()
        cohort = _plain(cohort, "the cohort name")  # before solving, not when recording
        _fits(cohort, "the cohort name", CohortRow.__table__.c.name)
        for person in (*problem.mentors, *problem.mentees):
            _fits(person.id, "a person's id", PersonRow.__table__.c.person_id)
            _fits(person.name, f"the name of {person.id}", PersonRow.__table__.c.name)
        with self.reading() as r:
            info = r.cohort(cohort, missing_ok=True)
            if info is not None and info.active_pairs:
                raise StoreError(
                    f"cohort {cohort!r} already has {info.active_pairs} active pairs; use a re-match to change them"
                )
            past = r.past_pairings()
        solved = with_history(problem, past, history)
        result = solve(solved, params)
        excluded = _excluded(problem, past) if history.forbid_repeats else ()
        return Proposal(
            cohort,
            "match",
            solved,
            problem,
            params,
            result,
            None,
            None,
            0 if info is None else info.revision,
            {"history": history.model_dump()},
            consent,
            excluded,
        )

    def plan_rematch(
        self,
        cohort: str,
        *,
        leave: Sequence[str] = (),
        join: Sequence[Person] = (),
        lock: Sequence[PairIds] = (),
        move_penalty: float = math.inf,
        params: SolveParams | None = None,
        history: HistoryOptions | None = None,
        baseline: bool = True,
    ) -> Proposal:
        """Re-match a running cohort after leavers, joiners and ended pairs, without recording it.

        Starts from the cohort's latest run: its pairs are the current ones;
        pairs ended since then (`end_pair`) and people who left since then
        (`leave`) count as changes, as do ``leave``, ``join`` and ``lock``
        here. Locked pairs stay; working pairs move only for a gain of at
        least ``move_penalty`` each (see `pairmatch.rematching.rematch`). The
        solve parameters and history options default to the latest run's.
        `commit` records the proposal.
        """
        with self.reading() as r:
            info = r.cohort(cohort)
            assert info is not None
            last = r.latest_run(cohort)
            pairings = r.history(cohort)
            members = r.members(cohort)
            past = r.past_pairings()
        base = last.base_problem()
        current = last.pairs
        in_base = {p.id for p in (*base.mentors, *base.mentees)}
        left = [m.person_id for m in members if not m.active and m.person_id in in_base]
        leavers = tuple(dict.fromkeys((*left, *leave)))
        latest: dict[PairIds, PairingRecord] = {}
        for p in pairings:  # the latest pairing of each pair
            latest[(p.mentor_id, p.mentee_id)] = p
        now = utcnow()
        # How each current pair ended since the run (a proposal past its time counts as expired).
        state = {
            pair: "expired" if latest[pair].overdue(now) else latest[pair].state
            for pair in current
            if pair in latest and not set(pair) & set(leavers)
        }
        ended, declined, expired = (
            tuple(p for p in current if state.get(p) == s) for s in ("ended", "declined", "expired")
        )
        locked_now = tuple(pair for pair in current if pair in latest and latest[pair].active and latest[pair].locked)
        params = params or SolveParams.model_validate(last.settings.get("solve", {}))
        history = history or HistoryOptions.model_validate(last.settings.get("history", {}))
        active_now = {(p.mentor_id, p.mentee_id) for p in pairings if p.active}
        changes = Changes(
            leave=leavers,
            join=tuple(join),
            ended=ended,
            locked=tuple(dict.fromkeys((*locked_now, *lock))),
            declined=declined,
            expired=expired,
        )
        outcome = rematch(
            base,
            current,
            changes,
            move_penalty=move_penalty,
            params=params,
            baseline=baseline,
            adjust=lambda p: with_history(p, past, history, keep=active_now),
            earlier=[(p.mentor_id, p.mentee_id) for p in past if (p.mentor_id, p.mentee_id) not in active_now],
            repeat_earlier=not history.forbid_repeats,
            repropose_declined=info.consent.repropose_declined,
        )
        return Proposal(
            cohort,
            "rematch",
            outcome.problem,
            outcome.base_problem,
            params,
            outcome.result,
            outcome,
            last.id,
            info.revision,
            {"history": history.model_dump(), "move_penalty": None if math.isinf(move_penalty) else move_penalty},
        )

    def commit(self, proposal: Proposal, *, leave_reason: str = "", note: str = "") -> StoredRun:
        """Record a proposal in one transaction: the run, its people and members, the pairs it starts and ends.

        Raises `ConcurrentChangeError` (and writes nothing) when the cohort
        changed since the proposal was made.
        """
        with self.transaction() as tx:
            return tx.record_run(
                proposal.cohort,
                proposal.problem,
                proposal.params,
                proposal.result,
                base_problem=proposal.base_problem,
                kind=proposal.kind,
                parent=proposal.parent,
                rematch_result=proposal.rematch,
                settings=proposal.settings,
                expected_revision=proposal.revision,
                leave_reason=leave_reason,
                note=note,
                consent=proposal.consent,
            )

    def match(
        self,
        cohort: str,
        problem: Problem,
        params: SolveParams | None = None,
        *,
        history: HistoryOptions | None = None,
        consent: ConsentOptions | None = None,
        note: str = "",
    ) -> tuple[StoredRun, MatchResult]:
        """`plan_match` and `commit`: match a cohort, record the run and start (or propose) its pairs.

        When the cohort changes between the solve and the recording, it is solved again, up to
        `CONCURRENT_RETRIES` times, before `ConcurrentChangeError` is raised.
        """
        for attempt in range(CONCURRENT_RETRIES + 1):
            proposal = self.plan_match(cohort, problem, params, history=history, consent=consent)
            try:
                return self.commit(proposal, note=note), proposal.result
            except ConcurrentChangeError:
                if attempt == CONCURRENT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def rematch(
        self,
        cohort: str,
        *,
        leave: Sequence[str] = (),
        join: Sequence[Person] = (),
        lock: Sequence[PairIds] = (),
        move_penalty: float = math.inf,
        params: SolveParams | None = None,
        history: HistoryOptions | None = None,
        leave_reason: str = "",
        note: str = "",
        baseline: bool = True,
    ) -> tuple[StoredRun, RematchResult]:
        """`plan_rematch` and `commit`: re-match a cohort, record the run and update its pairs.

        When the cohort changes between the solve and the recording, it is re-matched again from
        its new state, up to `CONCURRENT_RETRIES` times, before `ConcurrentChangeError` is raised.
        """
        for attempt in range(CONCURRENT_RETRIES + 1):
            proposal = self.plan_rematch(
                cohort,
                leave=leave,
                join=join,
                lock=lock,
                move_penalty=move_penalty,
                params=params,
                history=history,
                baseline=baseline,
            )
            assert proposal.rematch is not None
            try:
                return self.commit(proposal, leave_reason=leave_reason, note=note), proposal.rematch
            except ConcurrentChangeError:
                if attempt == CONCURRENT_RETRIES:
                    raise
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class Proposal:
    """A solved but unrecorded matching of a cohort (`ProgrammeStore.commit` records it).

    Attributes
    ----------
    cohort : str
    kind : {"match", "rematch"}
    problem : Problem
        What was solved (history rules, pins and continuity included).
    base_problem : Problem
        The programme as described, carried forward to the next re-match.
    params : SolveParams
    result : MatchResult
    rematch : RematchResult or None
        For a re-match: the changes and their reasons.
    parent : int or None
        The run this one re-matches.
    revision : int
        The cohort's revision when it was read (0 for a new cohort).
    settings : dict
        History options and move penalty, recorded with the run.
    consent : ConsentOptions or None
        For a match: whether the pairs wait for both people (None: the cohort's own).
    excluded : tuple of (mentor_id, mentee_id)
        For a match: earlier pairs of people in it, kept apart (no repeats).
    """

    cohort: str
    kind: str
    problem: Problem
    base_problem: Problem
    params: SolveParams
    result: MatchResult
    rematch: RematchResult | None
    parent: int | None
    revision: int
    settings: dict[str, Any]
    consent: ConsentOptions | None = None
    excluded: tuple[PairIds, ...] = ()
