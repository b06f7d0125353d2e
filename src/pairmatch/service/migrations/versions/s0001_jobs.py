"""The jobs table: asynchronous solves with their request, state, lease and result.

Revision ID: s0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = ("queued", "running", "done", "failed", "cancelled")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("worker", sa.String(64)),
        sa.Column("message", sa.Text()),
        sa.Column("request", sa.LargeBinary(), nullable=False),
        sa.Column("result_status", sa.Integer()),
        sa.Column("result", sa.LargeBinary()),
        sa.Column("mentors", sa.Integer()),
        sa.Column("mentees", sa.Integer()),
        sa.CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="ck_jobs_state"),
    )
    op.create_index("ix_jobs_state_submitted_at", "jobs", ["state", "submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_state_submitted_at", table_name="jobs")
    op.drop_table("jobs")
