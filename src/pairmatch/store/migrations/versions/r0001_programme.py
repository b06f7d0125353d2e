"""Programme store: people, cohorts and members, runs, pairings and their events.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.String(200), nullable=False),
        sa.Column("side", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("side IN ('mentor', 'mentee')", name=op.f("ck_people_side")),
        sa.UniqueConstraint("person_id", name=op.f("uq_people_person_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_cohorts_name")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
    )
    op.create_table(
        "cohort_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("person_pk", sa.Integer(), nullable=False),
        sa.Column("joined_at", WHEN, nullable=False),
        sa.Column("join_reason", sa.Text(), nullable=False),
        sa.Column("left_at", WHEN, nullable=True),
        sa.Column("leave_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], ondelete="CASCADE", name=op.f("fk_cohort_members_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(["person_pk"], ["people.id"], name=op.f("fk_cohort_members_person_pk_people")),
        sa.UniqueConstraint("cohort_id", "person_pk", name="uq_cohort_members_cohort_person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_members")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("base_request", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("move_penalty", sa.Float(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('match', 'rematch')", name=op.f("ck_runs_kind")),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], ondelete="CASCADE", name=op.f("fk_runs_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["runs.id"], name=op.f("fk_runs_parent_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("mentor_pk", sa.Integer(), nullable=False),
        sa.Column("mentee_pk", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("ended_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], ondelete="CASCADE", name=op.f("fk_pairings_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(["mentor_pk"], ["people.id"], name=op.f("fk_pairings_mentor_pk_people")),
        sa.ForeignKeyConstraint(["mentee_pk"], ["people.id"], name=op.f("fk_pairings_mentee_pk_people")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pairings_run_id_runs")),
        sa.ForeignKeyConstraint(["ended_run_id"], ["runs.id"], name=op.f("fk_pairings_ended_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
    )
    op.create_index(
        "uq_pairings_active",
        "pairings",
        ["cohort_id", "mentor_pk", "mentee_pk"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "pairing_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('started', 'ended', 'feedback', 'locked', 'unlocked')", name=op.f("ck_pairing_events_kind")
        ),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_pairing_events_rating")),
        sa.ForeignKeyConstraint(
            ["pairing_id"], ["pairings.id"], ondelete="CASCADE", name=op.f("fk_pairing_events_pairing_id_pairings")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pairing_events_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_events")),
    )
    op.create_index(op.f("ix_pairing_events_pairing_id"), "pairing_events", ["pairing_id"])


def downgrade() -> None:
    op.drop_table("pairing_events")
    op.drop_index("uq_pairings_active", table_name="pairings")
    op.drop_table("pairings")
    op.drop_table("runs")
    op.drop_table("cohort_members")
    op.drop_table("cohorts")
    op.drop_table("people")
