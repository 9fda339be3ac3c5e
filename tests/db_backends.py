"""Both database back-ends for the store tests: a real SQLite file and a fresh PostgreSQL database.

PostgreSQL: one template database per test session, then `CREATE DATABASE ... TEMPLATE` per test
(dropped after), so tests never see each other's rows. The server is `$VERTICALS_TEST_PG` (an admin URL,
default the local PostgreSQL 15 as `postgres`). Unreachable: the PostgreSQL half skips with the reason,
except under CI (`CI=true`), where it fails: CI must run it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

ADMIN_URL = os.environ.get("VERTICALS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class PostgresServer:
    """Creates and drops uniquely named databases on the admin server (names t_verticals_<hex>)."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = make_url(admin_url)
        self._admin: Engine | None = None
        self.error: str | None = None
        self.template: str | None = None
        self.created: list[str] = []

    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_size=1,
                                        connect_args={"connect_timeout": 5})
        return self._admin

    def reachable(self) -> bool:
        if self.error is not None:
            return False
        try:
            with self.admin().connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except (OSError, SQLAlchemyError) as exc:  # no server, refused, auth: the skip says which
            self.error = f"PostgreSQL at {self.admin_url.render_as_string(hide_password=True)} unreachable: {exc}"
            return False

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"t_verticals_{uuid.uuid4().hex[:16]}"
        with self.admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def fresh_database(self) -> str:
        """A new database (from the session's template: the stores' tables already at head)."""
        if self.template is None:
            self.template = self.create()
            _build_template(self.url(self.template))
        return self.create(self.template)

    def close(self) -> None:
        for name in list(self.created):
            self.drop(name)
        if self._admin is not None:
            self._admin.dispose()


def _build_template(url: str) -> None:
    """Every store's schema at head, so a test's database starts where a store's first open ends."""
    from shared.cli.db import chains
    from shared.db.engine import make_engine
    from shared.db.migrations import upgrade

    engine = make_engine(url)
    try:
        for chain in chains():
            upgrade(chain, engine)
    finally:
        engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template without connections


def require_postgres(server: PostgresServer) -> None:
    if not server.reachable():
        if in_ci():
            pytest.fail(f"{server.error} (CI must run the PostgreSQL half of the store tests)")
        pytest.skip(server.error or "PostgreSQL unreachable")


def database_url(backend: str, server: PostgresServer, tmp_path: Path) -> Iterator[str]:
    """A fresh database of `backend` for one test; the PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_postgres(server)
    name = server.fresh_database()
    try:
        yield server.url(name)
    finally:
        server.drop(name)
