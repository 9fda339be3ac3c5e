"""Alembic environment: the chain and the connection come from `verticals db` (shared.db.migrations)."""

from shared.db.migrations import run_env

run_env()
