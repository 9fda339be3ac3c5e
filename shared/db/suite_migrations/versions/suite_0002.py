"""Accounts and the core audit trail (shared/auth/users.py, shared/audit.py).

Revision ID: suite_0002
Revises: suite_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared import audit

revision = 'suite_0002'
down_revision = 'suite_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A suite database made before migrations may already hold these tables (see shared/suite_db.py).
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'users' not in existing:
        _create_users()
    if 'audit_log' not in existing:
        audit.create_table_revision(op, "audit_log")  # frozen: the table as first released, with its guards


def _create_users() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )


def downgrade() -> None:
    audit.drop_table_revision(op, "audit_log")
    op.drop_table('users')
