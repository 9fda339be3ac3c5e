"""The scheduler's own schedule-state table; APScheduler's pickled job table goes.

Jobs are fixed functions rebuilt in memory at start-up from `fm_schedule` (next run, last run, last error);
the old `fm_apscheduler_jobs` held pickled jobs, which anyone able to write the database could have turned
into code run by the scheduler, so it is dropped, not migrated.

Revision ID: monitor_0004
Revises: monitor_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "monitor_0004"
down_revision = "monitor_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fm_schedule",
        sa.Column("id", sa.String(length=50), primary_key=True),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.execute("DROP TABLE IF EXISTS fm_apscheduler_jobs")


def downgrade() -> None:
    op.drop_table("fm_schedule")  # the pickled job table is not brought back: the old code recreates it
