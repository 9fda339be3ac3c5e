"""API keys and customer-channel tokens (shared/http/keys.py).

Revision ID: suite_0003
Revises: suite_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'suite_0003'
down_revision = 'suite_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A suite database made before migrations may already hold these tables (see shared/suite_db.py).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'api_channel_tokens' not in existing:
        _create_channel_tokens()
    if 'api_keys' not in existing:
        _create_api_keys()


def _create_channel_tokens() -> None:
    op.create_table('api_channel_tokens',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_sha256')
    )


def _create_api_keys() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('token_sha256')
    )


def downgrade() -> None:
    op.drop_table('api_keys')
    op.drop_table('api_channel_tokens')
