"""The suite database starts empty: users, API keys and the audit trail arrive in later revisions.

Revision ID: suite_0001
Revises:
"""

from __future__ import annotations

revision = "suite_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
