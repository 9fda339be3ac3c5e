"""Accounts and the core audit trail (shared/auth/users.py, shared/audit.py).

Revision ID: suite_0002
Revises: suite_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db.revision_ops import create_audit_log_v1, drop_audit_log_v1

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
        create_audit_log_v1()


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
    drop_audit_log_v1()
    op.drop_table('users')
