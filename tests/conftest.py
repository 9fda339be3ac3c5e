"""Suite-wide set-up: a throw-away VERTICALS_HOME, offline hubs, and small shared fixtures."""

from __future__ import annotations

import os
import tempfile

os.environ["VERTICALS_HOME"] = tempfile.mkdtemp(prefix="verticals-test-home-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_backends import BACKENDS, PostgresServer, database_url, require_postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, pg_server: PostgresServer, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each back-end: a SQLite file, then a new PostgreSQL database (dropped after)."""
    yield from database_url(request.param, pg_server, tmp_path)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, pg_server: PostgresServer, tmp_path: Path) -> Iterator[str]:
    """Like `db_url` but with no tables at all (PostgreSQL: a new database not from the template)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_postgres(pg_server)
    name = pg_server.create()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop(name)


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database (stores at head) for PostgreSQL-only tests."""
    require_postgres(pg_server)
    name = pg_server.fresh_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop(name)


@pytest.fixture
def fake_apps(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake fourth app `zoo` and a broken app `broken` registered under `verticals.apps` (tests/fake_apps.py);
    the returned folder is first on sys.path; prepend it to PYTHONPATH for subprocesses."""
    from tests.fake_apps import forget_fake_apps, write_fake_apps

    root = write_fake_apps(tmp_path_factory.mktemp("fake-apps"))
    monkeypatch.syspath_prepend(str(root))
    yield root
    forget_fake_apps()
