"""One engine set-up for every store: SQLite pragmas, PostgreSQL pool and time zone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from shared.db.urls import parse_url, sqlite_path

SQLITE_BUSY_TIMEOUT_MS = 30_000  # wait for another writer's transaction instead of failing at once


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the consoles) never block the writers (CLI, scheduler)
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe under WAL: a power cut loses at most the last commits
    cur.close()


def _memory_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str, **overrides: Any) -> Engine:
    """An engine for `url` with the suite's settings; `overrides` go to `create_engine` unchanged."""
    parsed = parse_url(url)
    kwargs: dict[str, Any]
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is None:  # in-memory: one connection shared by every thread, or each would see an empty db
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}}
        kwargs.update(overrides)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _memory_pragmas if path is None else _sqlite_pragmas)
        return engine
    kwargs = {"pool_pre_ping": True,  # a server restart or idle-timeout drop is noticed before use
              "pool_size": 5, "max_overflow": 10, "pool_timeout": 30, "pool_recycle": 1800}
    if parsed.get_backend_name() == "postgresql":
        # Every session in UTC, so timestamps read back the same whatever the server's TimeZone says.
        kwargs["connect_args"] = {"options": "-c timezone=UTC", "application_name": "verticals",
                                  "connect_timeout": 10}
    kwargs.update(overrides)
    return create_engine(parsed, **kwargs)
