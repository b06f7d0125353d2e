"""Tables of the programme store (SQLAlchemy 2 ORM, typed), at the newest schema revision.

The migrations under ``migrations/versions`` build exactly these tables; a
test compares the two, so a change here needs a new revision there.

Times are stored in UTC. JSON documents of a run (request, response) are
kept as text in the contract's own format so that they load back with the
contract's models and their checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["EVENT_KINDS", "Base", "CohortRow", "EventRow", "MemberRow", "PairingRow", "PersonRow", "RunRow", "utcnow"]

EVENT_KINDS = ("started", "ended", "feedback", "locked", "unlocked", "proposed", "accepted", "declined", "expired")
_KIND_CHECK = "kind IN (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")"

# Named constraints, so migrations on every backend can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time in UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """The base of the store's tables; its constraints are named by `NAMING`, so migrations
    on every backend can refer to them."""

    metadata = MetaData(naming_convention=NAMING)


class PersonRow(Base):
    """Someone who has taken part, with their latest details (the model's JSON)."""

    __tablename__ = "people"
    __table_args__ = (CheckConstraint("side IN ('mentor', 'mentee')", name="side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200), unique=True)
    side: Mapped[str] = mapped_column(String(6))
    name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CohortRow(Base):
    """A cohort (e.g. one year of the programme). ``revision`` counts changes to its
    members and pairings, so a solve can check nothing moved underneath it."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Consent (`pairmatch.consent.ConsentOptions`): new pairs wait for both people to accept.
    consent_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    proposal_days: Mapped[int | None] = mapped_column(Integer)
    repropose_declined: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    members: Mapped[list[MemberRow]] = relationship(back_populates="cohort")


class MemberRow(Base):
    """Who is in a cohort, since when and why, and when and why they left."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "person_pk", name="uq_cohort_members_cohort_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    person_pk: Mapped[int] = mapped_column(ForeignKey("people.id"))
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    join_reason: Mapped[str] = mapped_column(Text, default="")
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    leave_reason: Mapped[str | None] = mapped_column(Text)

    cohort: Mapped[CohortRow] = relationship(back_populates="members")
    person: Mapped[PersonRow] = relationship()


class RunRow(Base):
    """One solve: its inputs (contract request), parameters, result (contract response) and provenance."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint("kind IN ('match', 'rematch')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request: Mapped[str] = mapped_column(Text)
    base_request: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    certificate: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    objective: Mapped[float] = mapped_column(Float)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    move_penalty: Mapped[float | None] = mapped_column(Float)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


class PairingRow(Base):
    """A pair of a cohort from the run that made it until it ends (``ended_at`` empty: current).

    A current pairing is *proposed* until both people accept (``accepted_at``
    empty) and active afterwards; a cohort without consent accepts at once.
    """

    __tablename__ = "pairings"
    __table_args__ = (
        # At most one active pairing of the same two people in a cohort, whoever writes.
        Index(
            "uq_pairings_active",
            "cohort_id",
            "mentor_pk",
            "mentee_pk",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    mentor_pk: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_pk: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(Text)
    ended_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    mentor_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    mentee_accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    mentor: Mapped[PersonRow] = relationship(foreign_keys=[mentor_pk])
    mentee: Mapped[PersonRow] = relationship(foreign_keys=[mentee_pk])
    events: Mapped[list[EventRow]] = relationship(back_populates="pairing", order_by="EventRow.id")


class EventRow(Base):
    """Something that happened to a pairing: proposed, accepted or declined (``person_pk``: by whom;
    empty: by both), expired, started, ended (with the reason), feedback, (un)locked."""

    __tablename__ = "pairing_events"
    __table_args__ = (
        CheckConstraint(_KIND_CHECK, name="kind"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    person_pk: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    pairing: Mapped[PairingRow] = relationship(back_populates="events")
    person: Mapped[PersonRow | None] = relationship()
