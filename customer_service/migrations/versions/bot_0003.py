"""Chunk vectors by the index encoder and fitted query projections (9d303ed).

Revision ID: bot_0003
Revises: bot_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bot_0003"
down_revision = "bot_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before migrations, opening an old store with newer code created these two tables (create_all) but
    # never added kb_version: such a store is adopted as bot_0001 and already has them.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "chunk_vectors" not in existing:
        op.create_table(
            "chunk_vectors",
            sa.Column("chunk_id", sa.Integer(), nullable=False),
            sa.Column("encoder", sa.String(length=500), nullable=False),
            sa.Column("embedding", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["chunk_id"], ["chunks.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("chunk_id", "encoder"),
        )
    if "projections" not in existing:
        op.create_table(
            "projections",
            sa.Column("workspace_id", sa.Integer(), nullable=False),
            sa.Column("source", sa.String(length=500), nullable=False),
            sa.Column("target", sa.String(length=500), nullable=False),
            sa.Column("rows", sa.Integer(), nullable=False),
            sa.Column("n_fit", sa.Integer(), nullable=False),
            sa.Column("weights", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("workspace_id"),
        )


def downgrade() -> None:
    op.drop_table("projections")
    op.drop_table("chunk_vectors")
