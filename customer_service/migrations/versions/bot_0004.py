"""Sign-in and the audit trail (issue 15): which agent wrote each message, and the append-only audit_log.

Revision ID: bot_0004
Revises: bot_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared import audit

revision = "bot_0004"
down_revision = "bot_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=320), nullable=True))
    audit.create_table_revision(op, "audit_log_bot")


def downgrade() -> None:
    audit.drop_table_revision(op, "audit_log_bot")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("author")
