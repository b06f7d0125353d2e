"""Locked state on each pairing (filled from its lock events) and look-ups of a person's pairings.

The lock events stay the history; the column is the current state that
every re-match reads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on every backend: copying the table (SQLite batch mode) would drop and
    # re-create it, and dropping it cascades to the pairing events.
    op.add_column("pairings", sa.Column("locked", sa.Boolean(), nullable=False, server_default=sa.false()))
    # A pairing is locked when its latest lock event is 'locked'.
    op.execute(
        sa.text("""
        UPDATE pairings SET locked = (
            SELECT e.kind = 'locked' FROM pairing_events e
            WHERE e.pairing_id = pairings.id AND e.kind IN ('locked', 'unlocked')
            ORDER BY e.id DESC LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM pairing_events e
                      WHERE e.pairing_id = pairings.id AND e.kind IN ('locked', 'unlocked'))
    """)
    )
    op.create_index(op.f("ix_pairings_mentor_pk"), "pairings", ["mentor_pk"])
    op.create_index(op.f("ix_pairings_mentee_pk"), "pairings", ["mentee_pk"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pairings_mentee_pk"), table_name="pairings")
    op.drop_index(op.f("ix_pairings_mentor_pk"), table_name="pairings")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE pairings DROP COLUMN locked")  # in place (SQLite >= 3.35), no table copy
    else:
        op.drop_column("pairings", "locked")
