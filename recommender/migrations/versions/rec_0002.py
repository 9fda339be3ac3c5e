"""The append-only audit trail (issue 15): who changed what, written in the same transaction as the change.

Revision ID: rec_0002
Revises: rec_0001
"""

from __future__ import annotations

from alembic import op

from shared import audit

revision = "rec_0002"
down_revision = "rec_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit.create_table_revision(op, "audit_log_rec")


def downgrade() -> None:
    audit.drop_table_revision(op, "audit_log_rec")
