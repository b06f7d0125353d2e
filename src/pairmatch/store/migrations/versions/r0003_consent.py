"""Consent: proposed pairings, each person's acceptance, expiry, and who each event is about.

Cohorts get their consent settings; pairings get ``accepted_at`` (filled
with ``started_at`` for every earlier pairing: they all started at once),
each side's acceptance time and an expiry; events get the kinds
``proposed``, ``accepted``, ``declined`` and ``expired`` and the person who
answered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
OLD_KINDS = ("started", "ended", "feedback", "locked", "unlocked")
NEW_KINDS = (*OLD_KINDS, "proposed", "accepted", "declined", "expired")


def _check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _events_table(name: str, kinds: tuple[str, ...], *, person: bool) -> None:
    """``pairing_events`` as revision 0001 made it, with ``kinds`` allowed (and ``person_pk``)."""
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
    ]
    constraints: list[sa.Constraint] = [
        sa.CheckConstraint(_check(kinds), name=op.f("ck_pairing_events_kind")),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_pairing_events_rating")),
        sa.ForeignKeyConstraint(
            ["pairing_id"], ["pairings.id"], ondelete="CASCADE", name=op.f("fk_pairing_events_pairing_id_pairings")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pairing_events_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_events")),
    ]
    if person:
        columns.append(sa.Column("person_pk", sa.Integer(), nullable=True))
        constraints.append(
            sa.ForeignKeyConstraint(["person_pk"], ["people.id"], name=op.f("fk_pairing_events_person_pk_people"))
        )
    op.create_table(name, *columns, *constraints)


def _rebuild_sqlite_events(kinds: tuple[str, ...], *, person: bool) -> None:
    """SQLite cannot change a CHECK constraint in place: copy the events into a new table.

    Nothing refers to ``pairing_events``, so dropping the old table loses nothing.
    """
    keep = "id, pairing_id, kind, at, run_id, reason, rating"
    _events_table("pairing_events_new", kinds, person=person)
    op.execute(f"INSERT INTO pairing_events_new ({keep}) SELECT {keep} FROM pairing_events")
    op.drop_index(op.f("ix_pairing_events_pairing_id"), table_name="pairing_events")
    op.drop_table("pairing_events")
    op.rename_table("pairing_events_new", "pairing_events")
    op.create_index(op.f("ix_pairing_events_pairing_id"), "pairing_events", ["pairing_id"])


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy: dropping pairings would cascade to the events).
    op.add_column("cohorts", sa.Column("consent_required", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("cohorts", sa.Column("proposal_days", sa.Integer(), nullable=True))
    op.add_column("cohorts", sa.Column("repropose_declined", sa.Boolean(), nullable=False, server_default=sa.false()))
    for column in ("accepted_at", "mentor_accepted_at", "mentee_accepted_at", "expires_at"):
        op.add_column("pairings", sa.Column(column, WHEN, nullable=True))
    op.execute(
        "UPDATE pairings SET accepted_at = started_at, mentor_accepted_at = started_at, mentee_accepted_at = started_at"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(NEW_KINDS, person=True)
    else:
        op.add_column("pairing_events", sa.Column("person_pk", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_pairing_events_person_pk_people"), "pairing_events", "people", ["person_pk"], ["id"]
        )
        op.drop_constraint(op.f("ck_pairing_events_kind"), "pairing_events", type_="check")
        op.create_check_constraint(op.f("ck_pairing_events_kind"), "pairing_events", _check(NEW_KINDS))


def downgrade() -> None:
    # Proposals that never started have no place in the older schema: they go, with their events.
    op.execute("DELETE FROM pairing_events WHERE pairing_id IN (SELECT id FROM pairings WHERE accepted_at IS NULL)")
    op.execute("DELETE FROM pairings WHERE accepted_at IS NULL")
    op.execute(
        "DELETE FROM pairing_events WHERE kind IN (" + ", ".join(f"'{k}'" for k in NEW_KINDS[len(OLD_KINDS) :]) + ")"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(OLD_KINDS, person=False)
        for table, column in (
            ("pairings", "expires_at"),
            ("pairings", "mentee_accepted_at"),
            ("pairings", "mentor_accepted_at"),
            ("pairings", "accepted_at"),
            ("cohorts", "repropose_declined"),
            ("cohorts", "proposal_days"),
            ("cohorts", "consent_required"),
        ):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # in place (SQLite >= 3.35), no table copy
        return
    op.drop_constraint(op.f("ck_pairing_events_kind"), "pairing_events", type_="check")
    op.create_check_constraint(op.f("ck_pairing_events_kind"), "pairing_events", _check(OLD_KINDS))
    op.drop_constraint(op.f("fk_pairing_events_person_pk_people"), "pairing_events", type_="foreignkey")
    op.drop_column("pairing_events", "person_pk")
    for column in ("expires_at", "mentee_accepted_at", "mentor_accepted_at", "accepted_at"):
        op.drop_column("pairings", column)
    for column in ("repropose_declined", "proposal_days", "consent_required"):
        op.drop_column("cohorts", column)
