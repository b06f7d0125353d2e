"""Idempotency keys on job submission: the key a client sent, and the digest of the body it came with.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(128)))
        batch.add_column(sa.Column("request_digest", sa.String(64)))
        batch.add_column(sa.Column("request_bytes", sa.Integer()))
        batch.add_column(sa.Column("request_dropped_at", sa.DateTime(timezone=True)))
    op.create_index("ix_jobs_client_idempotency_key", "jobs", ["client", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_jobs_client_idempotency_key", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("request_dropped_at")
        batch.drop_column("request_bytes")
        batch.drop_column("request_digest")
        batch.drop_column("idempotency_key")
