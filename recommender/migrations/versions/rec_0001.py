"""The recommender's saved configurations as released before migrations (76a3c65).

Revision ID: rec_0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "rec_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rec_configs',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('rec_configs')
