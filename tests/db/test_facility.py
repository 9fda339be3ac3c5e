"""The database facility itself: URL resolution, masking, UTC datetimes and engines, on both back-ends."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from shared.db import (
    MEMORY_URL,
    Database,
    DatabaseURLError,
    UTCDateTime,
    make_engine,
    mask_url,
    resolve_url,
    suite_url,
)


def test_url_resolution_explicit_then_env_then_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VERTICALS_X_DB", raising=False)
    assert resolve_url(None, env_var="VERTICALS_X_DB", db_file="x.db") == f"sqlite:///{tmp_path / 'home' / 'x.db'}"
    monkeypatch.setenv("VERTICALS_X_DB", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    assert resolve_url(None, env_var="VERTICALS_X_DB", db_file="x.db").endswith("127.0.0.1:5432/x")
    assert resolve_url("sqlite:////tmp/explicit.db", env_var="VERTICALS_X_DB", db_file="x.db") == \
        "sqlite:////tmp/explicit.db"
    # A bare path is a SQLite file; its folder is created.
    url = resolve_url(str(tmp_path / "sub" / "f.db"), env_var="VERTICALS_X_DB", db_file="x.db")
    assert url == f"sqlite:///{tmp_path / 'sub' / 'f.db'}" and (tmp_path / "sub").is_dir()


def test_suite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path))
    monkeypatch.delenv("VERTICALS_SUITE_DB", raising=False)
    assert suite_url() == f"sqlite:///{tmp_path / 'suite.db'}"
    monkeypatch.setenv("VERTICALS_SUITE_DB", "postgresql+psycopg://postgres@127.0.0.1/suite")
    assert suite_url() == "postgresql+psycopg://postgres@127.0.0.1/suite"


def test_mask_url_hides_passwords_even_in_unparseable_urls() -> None:
    assert mask_url("postgresql+psycopg://alice:s3cret@db:5432/verticals") == \
        "postgresql+psycopg://alice:***@db:5432/verticals"
    assert mask_url("postgresql://alice:s3cret@db:notaport/x") == "postgresql://alice:***@db:notaport/x"
    assert mask_url("sqlite:////var/x.db") == "sqlite:////var/x.db"
    with pytest.raises(DatabaseURLError, match=r"alice:\*\*\*@db:notaport") as info:
        resolve_url("postgresql://alice:s3cret@db:notaport/x", db_file="x.db")
    assert "s3cret" not in str(info.value)


def test_utc_datetime_round_trip(db_url: str) -> None:
    meta = MetaData()
    table = Table("t_utc_roundtrip", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    db = Database(db_url)
    meta.create_all(db.engine)
    paris = timezone(timedelta(hours=1))
    values = [datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc), datetime(2024, 3, 1, 13, 30, tzinfo=paris)]
    with db.engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "at": v} for i, v in enumerate(values)])
    with db.engine.connect() as conn:
        back = [r.at for r in conn.execute(select(table).order_by(table.c.id))]
    assert back == values  # the same instants ...
    assert [b.tzinfo for b in back] == [timezone.utc, timezone.utc]  # ... always read back as aware UTC
    assert back[1].hour == 12 and back[1].minute == 30
    with pytest.raises(Exception, match="naive datetime"), db.engine.begin() as conn:
        conn.execute(insert(table), [{"id": 9, "at": datetime(2024, 3, 1, 12, 0)}])
    with db.engine.connect() as conn:  # nothing half-written
        assert conn.execute(select(table.c.id).where(table.c.id == 9)).first() is None
    meta.drop_all(db.engine)
    db.dispose()


def test_sqlite_file_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_memory_database_is_one_database_across_threads() -> None:
    db = Database(MEMORY_URL)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    seen: list[int] = []

    def write() -> None:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (7)"))
            seen.append(1)

    th = threading.Thread(target=write)
    th.start()
    th.join()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [7]


def test_postgres_engine_sessions_are_utc(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
    assert engine.pool.size() == 5
    engine.dispose()


def test_session_scope_rolls_back_on_error(db_url: str) -> None:
    from recommender.config import RecConfig
    from recommender.config_store import ConfigStore, configs

    store = ConfigStore(db_url)
    with pytest.raises(RuntimeError), store.db.session() as s:
        s.execute(insert(configs).values(name="x", config=RecConfig().to_dict().__repr__(),
                                         saved_at=datetime.now(timezone.utc)))
        raise RuntimeError("boom")
    assert store.names() == []
    store.dispose()


def test_bot_cli_honours_verticals_bot_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from customer_service.cli import app
    from customer_service.store import Store

    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VERTICALS_BOT_DB", url)
    result = CliRunner().invoke(app, ["workspaces", "create", "support"])
    assert result.exit_code == 0, result.output
    assert [w.name for w in Store(url).workspaces()] == ["support"]
    assert not (tmp_path / "home" / "customer_service.db").exists()


def test_monitor_status_masks_the_password(pg_url: str) -> None:
    from sqlalchemy.engine import make_url
    from typer.testing import CliRunner

    from finance_monitor.cli import app

    url = make_url(pg_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["status", "--db", url])
    assert result.exit_code == 0, result.output
    assert "store: postgresql+psycopg://postgres:***@127.0.0.1" in result.output and "s3cret-pw" not in result.output


def test_unreachable_postgres_skips_with_the_reason_but_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.db_backends import PostgresServer, require_postgres

    server = PostgresServer("postgresql+psycopg://postgres:pw@127.0.0.1:1/postgres")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"postgres:\*\*\*@127.0.0.1:1/postgres unreachable"):
        require_postgres(server)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL half"):
        require_postgres(server)
    server.close()
