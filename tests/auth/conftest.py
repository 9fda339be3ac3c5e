"""Suite-database fixtures: each test gets a fresh SQLite file AND its own PostgreSQL database on
127.0.0.1:5432 (dropped after), through the suite-wide back-ends (tests/db_backends.py): no server → the PG
half skips with the reason, except under CI where it fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_backends import BACKENDS, PostgresServer, database_url


@pytest.fixture(params=BACKENDS)
def suite_db(request: pytest.FixtureRequest, pg_server: PostgresServer, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, pg_server, tmp_path)
