"""Timestamps become timestamptz on PostgreSQL (one UTCDateTime type for every store).

The values were naive UTC; they are read as UTC (`AT TIME ZONE 'UTC'`), so no instant moves.
SQLite has no time zone type: nothing changes there.

Revision ID: monitor_0002
Revises: monitor_0001
"""

from __future__ import annotations

from alembic import op

revision = "monitor_0002"
down_revision = "monitor_0001"
branch_labels = None
depends_on = None

COLUMNS = {
    'fm_alerts': ('bucket_start', 'first_fired_at', 'last_fired_at', 'last_notified_at', 'acked_at', 'resolved_at'),
    'fm_locks': ('acquired_at', 'heartbeat_at'),
    'fm_rules': ('updated_at',),
    'fm_sources': ('created_at', 'last_fetch_at', 'last_ok_at', 'next_fetch_at'),
    'fm_trends': ('bucket_start',),
    'fm_items': ('published_at', 'fetched_at'),
    'fm_notifications': ('next_attempt_at', 'created_at', 'sent_at'),
    'fm_scores': ('scored_at',),
}


def _retype(sql_type: str, using: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {sql_type} USING {c} {using}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _retype("timestamp with time zone", "AT TIME ZONE 'UTC'")


def downgrade() -> None:
    _retype("timestamp without time zone", "AT TIME ZONE 'UTC'")
