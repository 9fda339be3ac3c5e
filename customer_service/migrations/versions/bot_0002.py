"""Workspaces carry kb_version (e4a44bb): each process's index can tell it is stale.

Revision ID: bot_0002
Revises: bot_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bot_0002"
down_revision = "bot_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing workspaces start at 0, as a new one does; the next document change bumps it.
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("kb_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("kb_version")
