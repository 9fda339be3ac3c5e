"""The append-only audit trail (issue 15): who changed what, written in the same transaction as the change.

Revision ID: monitor_0003
Revises: monitor_0002
"""

from __future__ import annotations

from alembic import op

from shared import audit

revision = "monitor_0003"
down_revision = "monitor_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit.create_table_revision(op, "audit_log_monitor")


def downgrade() -> None:
    audit.drop_table_revision(op, "audit_log_monitor")
