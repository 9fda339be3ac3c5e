"""The one database facility: URLs, engines, UTC datetimes, sessions, migrations and backups.

Every store opens its database through `open_database(chain, url)`; see docs/scaling.md for PostgreSQL.
"""

from __future__ import annotations

from shared.db.backup import backup_sqlite
from shared.db.engine import make_engine
from shared.db.errors import (
    DatabaseError,
    DatabaseURLError,
    SchemaAheadError,
    SchemaBehindError,
    UnknownStoreError,
)
from shared.db.migrations import Chain, SchemaStatus, ensure_schema
from shared.db.schema import create_schema
from shared.db.session import Database, session_scope
from shared.db.types import UTCDateTime
from shared.db.urls import MEMORY_URL, mask_url, resolve_url, sqlite_path, suite_url


def open_database(chain: Chain, url: str | None = None) -> Database:
    """The store's database at `url` (or its env var, or its SQLite file), checked against the code."""
    db = Database(resolve_url(url, env_var=chain.env_var, db_file=chain.db_file))
    ensure_schema(chain, db.engine)
    return db


__all__ = ["MEMORY_URL", "Chain", "Database", "DatabaseError", "DatabaseURLError", "SchemaAheadError",
           "SchemaBehindError", "SchemaStatus", "UTCDateTime", "UnknownStoreError", "backup_sqlite",
           "create_schema", "ensure_schema", "make_engine", "mask_url", "open_database", "resolve_url",
           "session_scope", "sqlite_path", "suite_url"]
