"""Migrations on both back-ends: released schemas upgrade with every row kept; models equal head."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from shared.db import SchemaAheadError, SchemaBehindError, make_engine, sqlite_path
from shared.db.migrations import compare, head, status, upgrade_by_migrations

FIXTURES = Path(__file__).with_name("fixtures")
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def _chains():
    from shared.cli.db import chains

    return {c.name: c for c in chains()}


def _run_ddl(url: str, fixture: str) -> None:
    engine = make_engine(url)
    lines = (FIXTURES / f"{fixture}.{engine.dialect.name}.sql").read_text().splitlines()
    sql = "\n".join(line for line in lines if not line.startswith("--"))
    with engine.begin() as conn:
        for stmt in (s.strip() for s in sql.split(";")):
            if stmt:
                conn.exec_driver_sql(stmt)
    engine.dispose()


def _ts(url: str, value: datetime = T0) -> object:
    # Raw rows as the released code wrote them: SQLite held naive UTC text, PostgreSQL timestamptz.
    return value.replace(tzinfo=None).isoformat(" ") + ".000000" if url.startswith("sqlite") else value


def _fill_bot_v1(url: str) -> None:
    engine = make_engine(url)
    t = _ts(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workspaces (id, name, settings, created_at) VALUES "
                          "(1, 'acme', '{\"threshold\": 0.5}', :t), (2, 'beta', '{}', :t)"), {"t": t})
        conn.execute(text("INSERT INTO documents (id, workspace_id, name, kind, content_hash, n_chars, created_at, "
                          "updated_at) VALUES (1, 1, 'faq.md', 'md', 'h1', 42, :t, :t)"), {"t": t})
        conn.execute(text("INSERT INTO chunks (id, document_id, workspace_id, position, start, \"end\", text, meta, "
                          "content_hash, encoder, embedding) VALUES (1, 1, 1, 0, 0, 21, 'How do I pay?', '{}', "
                          "'c1', 'minilm', :e), (2, 1, 1, 1, 21, 42, 'By card.', '{}', 'c2', 'minilm', :e)"),
                     {"e": b"\x00" * 16})
        conn.execute(text("INSERT INTO conversations (id, workspace_id, status, title, created_at, updated_at) "
                          "VALUES (1, 1, 'handoff', 'pay', :t, :t)"), {"t": t})
        conn.execute(text("INSERT INTO messages (id, conversation_id, role, text, created_at) "
                          "VALUES (1, 1, 'customer', 'How do I pay?', :t)"), {"t": t})
        conn.execute(text("INSERT INTO proposals (id, conversation_id, message_id, route, confidence, text, "
                          "sources, generated, latency_ms, created_at, edited) VALUES "
                          "(1, 1, 1, 'retrieval', 0.8, 'By card.', '[]', false, 12.5, :t, false)"), {"t": t})
        conn.execute(text("INSERT INTO messages (id, conversation_id, role, text, created_at, proposal_id) "
                          "VALUES (2, 1, 'agent', 'By card.', :t, 1)"), {"t": t})
        conn.execute(text("INSERT INTO handoffs (id, conversation_id, reason, by, created_at) "
                          "VALUES (1, 1, 'low confidence', 'bot', :t)"), {"t": t})
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as inserts would
            for table in ("workspaces", "documents", "chunks", "conversations", "messages", "proposals", "handoffs"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    engine.dispose()


def _check_bot_rows(store) -> None:
    acme = store.workspace("acme")
    assert [w.name for w in store.workspaces()] == ["acme", "beta"]
    assert acme.settings == {"threshold": 0.5}
    assert acme.created_at == T0  # aware UTC, the same instant
    assert store.kb_version(acme.id) == 0
    assert [d.name for d in store.documents(acme.id)] == ["faq.md"]
    assert [c.text for c in store.chunks(acme.id)] == ["How do I pay?", "By card."]
    conv = store.conversations(acme.id)
    assert [(c.id, c.status, c.title) for c in conv] == [(1, "handoff", "pay")]
    assert [(m.role, m.text, m.proposal_id) for m in store.messages(1)] == [
        ("customer", "How do I pay?", None), ("agent", "By card.", 1)]
    (prop,) = store.proposals(1)
    assert (prop.route, prop.confidence, prop.latency_ms, prop.created_at) == ("retrieval", 0.8, 12.5, T0)
    assert [(h.reason, h.by) for h in store.handoffs(acme.id)] == [("low confidence", "bot")]
    # ... and the upgraded store takes new writes: ids continue, kb_version is bumped.
    conv2 = store.start_conversation(acme.id, "new", now=T0)
    assert conv2.id == 2


def _upgrade_cli(store: str, url: str) -> str:
    from shared.cli.db import app

    result = CliRunner().invoke(app, ["upgrade", store, "--db", url])
    assert result.exit_code == 0, result.output
    return result.output


def test_pre_kb_version_bot_store_upgrades_with_every_row(empty_db_url: str) -> None:
    """The schema of fe74a09 (before kb_version) failed with `no such column: workspaces.kb_version`."""
    from customer_service.store import CHAIN, Store

    _run_ddl(empty_db_url, "bot_fe74a09")
    _fill_bot_v1(empty_db_url)
    engine = make_engine(empty_db_url)
    assert status(CHAIN, engine).state == "unversioned"
    if empty_db_url.startswith("sqlite"):
        store = Store(empty_db_url)  # SQLite: backed up, then upgraded on open
        backups = list(sqlite_path(empty_db_url).parent.glob("store.db.*.unversioned.bak"))
        assert len(backups) == 1
        old = make_engine(f"sqlite:///{backups[0]}")
        with old.connect() as conn:  # the backup is the old schema with the old rows
            assert conn.execute(text("SELECT count(*) FROM chunks")).scalar() == 2
            assert "kb_version" not in [r[1] for r in conn.execute(text("PRAGMA table_info(workspaces)"))]
        old.dispose()
    else:
        with pytest.raises(SchemaBehindError, match="verticals db upgrade bot"):
            Store(empty_db_url)
        assert f"bot: unversioned -> {head(CHAIN)}" in _upgrade_cli("bot", empty_db_url)
        store = Store(empty_db_url)
    assert status(CHAIN, engine).current == head(CHAIN)
    _check_bot_rows(store)
    store.dispose()
    engine.dispose()


def test_bot_store_opened_by_later_code_before_migrations_is_adopted(empty_db_url: str) -> None:
    """Old code's create_all added chunk_vectors/projections to an fe74a09 store but never kb_version."""
    from customer_service.store import Base, Store

    _run_ddl(empty_db_url, "bot_fe74a09")
    engine = make_engine(empty_db_url)
    Base.metadata.tables["chunk_vectors"].create(engine)
    Base.metadata.tables["projections"].create(engine)
    engine.dispose()
    _fill_bot_v1(empty_db_url)
    if not empty_db_url.startswith("sqlite"):
        _upgrade_cli("bot", empty_db_url)
    store = Store(empty_db_url)
    _check_bot_rows(store)
    store.dispose()


def test_released_monitor_and_rec_stores_upgrade_with_every_row(empty_db_url: str) -> None:
    from finance_monitor.store import ItemRow, LockRow, SourceRow, Store
    from recommender.config import RecConfig
    from recommender.config_store import ConfigStore

    _run_ddl(empty_db_url, "monitor_c40f833")
    _run_ddl(empty_db_url, "rec_c40f833")
    engine = make_engine(empty_db_url)
    naive = T0.replace(tzinfo=None)  # the released monitor wrote naive UTC on both back-ends
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO fm_sources (id, name, kind, location, paused, interval_s, options, state, "
                          "created_at, failures, items_total) VALUES (1, 'wire', 'rss', 'http://x', false, 300, "
                          "'{}', '{}', :t, 0, 1)"), {"t": naive})
        conn.execute(text("INSERT INTO fm_items (id, source_id, url, content_hash, title, body, published_at, "
                          "date_missing, fetched_at) VALUES (1, 1, 'http://x/1', 'h', 'Profit up', '', :t, false, "
                          ":t)"), {"t": naive})
        conn.execute(text("INSERT INTO fm_locks (name, holder, acquired_at, heartbeat_at) "
                          "VALUES ('scheduler', 'host:1:ab', :t, :t)"), {"t": naive})
        conn.execute(text("INSERT INTO rec_configs (name, config, saved_at) VALUES ('best', :c, :t)"),
                     {"c": _rec_json(), "t": _ts(empty_db_url)})
    engine.dispose()
    if not empty_db_url.startswith("sqlite"):  # PostgreSQL: upgraded deliberately
        from finance_monitor.store import CHAIN as MONITOR
        from recommender.config_store import CHAIN as REC

        assert f"monitor: unversioned -> {head(MONITOR)}" in _upgrade_cli("monitor", empty_db_url)
        assert f"rec: unversioned -> {head(REC)}" in _upgrade_cli("rec", empty_db_url)
    store = Store(empty_db_url)
    with store.session() as s:
        (src,) = s.query(SourceRow).all()
        (item,) = s.query(ItemRow).all()
        (lock,) = s.query(LockRow).all()
        assert (src.name, src.created_at) == ("wire", T0)
        assert (item.title, item.published_at, item.fetched_at) == ("Profit up", T0, T0)
        assert (lock.holder, lock.heartbeat_at) == ("host:1:ab", T0)
    store.dispose()
    configs = ConfigStore(empty_db_url)
    assert configs.names() == ["best"]
    assert configs.load("best") == RecConfig()
    configs.dispose()


def _rec_json() -> str:
    import json

    from recommender.config import RecConfig

    return json.dumps(RecConfig().to_dict())


@pytest.mark.parametrize("store", ["suite", "bot", "monitor", "rec"])
def test_models_equal_migration_head(store: str, empty_db_url: str) -> None:
    """A model change without a migration fails here (on both back-ends)."""
    chain = _chains()[store]
    engine = make_engine(empty_db_url)
    upgrade_by_migrations(chain, engine)  # every revision, no create-from-models shortcut
    assert status(chain, engine).state == "current"
    assert compare(chain, engine) == []
    engine.dispose()


def test_database_from_newer_code_is_refused(db_url: str) -> None:
    from customer_service.store import CHAIN, Store

    Store(db_url).dispose()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {CHAIN.version_table} SET version_num = 'bot_9999'"))
    engine.dispose()
    with pytest.raises(SchemaAheadError, match="bot_9999"):
        Store(db_url)


def test_db_cli_status_upgrade_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.cli.db import app

    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path))
    for var in ("VERTICALS_BOT_DB", "VERTICALS_MONITOR_DB", "VERTICALS_REC_DB", "VERTICALS_SUITE_DB"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    heads = {name: head(chain) for name, chain in _chains().items()}
    out = runner.invoke(app, ["status"]).output
    assert "bot (sqlite:///" in out and f"empty, will be created at {heads['bot']}" in out
    assert runner.invoke(app, ["upgrade"]).exit_code == 0
    out = runner.invoke(app, ["status", "monitor"]).output
    assert out.strip().endswith(f"at head {heads['monitor']}")
    res = runner.invoke(app, ["backup", "bot", "--to", str(tmp_path / "bk")])
    assert res.exit_code == 0, res.output
    (copy,) = (tmp_path / "bk").iterdir()
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version_bot")).scalar() == heads["bot"]
    engine.dispose()
    res = runner.invoke(app, ["backup", "bot", "--db", "postgresql+psycopg://u:s3cret@127.0.0.1/x"])
    assert "pg_dump" in res.output and "s3cret" not in res.output and "u:***@" in res.output
    res = runner.invoke(app, ["status", "nosuch"])
    assert res.exit_code == 1 and "no store named 'nosuch'; stores: suite, bot, monitor, rec" in res.output


def test_suite_audit_log_stays_append_only_after_migrations(empty_db_url: str) -> None:
    from sqlalchemy.exc import DBAPIError

    from shared.suite_db import CHAIN

    engine = make_engine(empty_db_url)
    upgrade_by_migrations(CHAIN, engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, actor_kind, role, action, target) "
                          "VALUES (:t, 'ana@example.com', 'user', 'admin', 'user.add', 'bo@example.com')"),
                     {"t": _ts(empty_db_url)})
    for stmt in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(stmt))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["ana@example.com"]
    engine.dispose()


def test_each_registered_app_store_is_migrated_with_its_spec_settings() -> None:
    from shared.apps import registered_apps

    apps, failures = registered_apps()
    assert not failures
    by_name = _chains()
    for spec in apps:
        chain = by_name[spec.name]
        assert (chain.env_var, chain.db_file) == (spec.db_env, spec.db_file)
    assert list(by_name) == ["suite", *(spec.name for spec in apps)]


def test_revision_writes_the_missing_migration(tmp_path: Path) -> None:
    """`verticals db revision` autogenerates from the models' difference with the chain's head."""
    import shutil

    from sqlalchemy import Column, Integer, MetaData, String, Table

    from recommender.config_store import CHAIN as REC
    from shared.db.migrations import Chain, new_revision

    folder = tmp_path / "migrations"
    shutil.copytree(REC.script_location, folder, ignore=shutil.ignore_patterns("__pycache__"))
    meta = MetaData()
    for table in REC.metadatas[0].tables.values():
        table.to_metadata(meta)
    Table("rec_notes", meta, Column("id", Integer, primary_key=True), Column("note", String(200), nullable=False))
    chain = Chain("rec", meta, str(folder), env_var="X", db_file="x.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade_by_migrations(chain, engine)
    assert [d[0] for d in compare(chain, engine)] == ["add_table"]  # the model is ahead of the chain

    number = int(head(chain).split("_")[1]) + 1
    path = Path(new_revision(chain, "notes"))
    assert path.name == f"rec_{number:04d}.py" and "op.create_table('rec_notes'" in path.read_text()
    upgrade_by_migrations(chain, engine)
    assert status(chain, engine).current == f"rec_{number:04d}" and compare(chain, engine) == []
    engine.dispose()


def test_suite_database_made_before_migrations_is_adopted(empty_db_url: str) -> None:
    """Accounts and audit rows written by the pre-migration code (create_all) survive; the keys arrive."""
    from shared import audit
    from shared.auth.users import Base as UsersBase
    from shared.auth.users import UserStore
    from shared.http.keys import KeyStore
    from shared.suite_db import CHAIN

    engine = make_engine(empty_db_url)
    UsersBase.metadata.create_all(engine)
    audit.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (email, display_name, role, disabled, created_at, updated_at) "
                          "VALUES ('ana@example.com', 'Ana', 'admin', false, :t, :t)"), {"t": _ts(empty_db_url)})
        audit.record(conn, None, "user.add", "ana@example.com", now=T0)
    assert status(CHAIN, engine).state == "unversioned"
    if not empty_db_url.startswith("sqlite"):
        with pytest.raises(SchemaBehindError, match="verticals db upgrade suite"):
            UserStore(empty_db_url)
        _upgrade_cli("suite", empty_db_url)
    users = UserStore(empty_db_url)
    assert [(u.email, u.role, u.created_at) for u in users.all()] == [("ana@example.com", "admin", T0)]
    assert [e.action for e in audit.entries(engine)] == ["user.add"]
    keys = KeyStore(empty_db_url)
    token = keys.create("ci", "models", now=T0)
    assert keys.identify(token).name == "key:ci"
    assert status(CHAIN, engine).current == head(CHAIN) == "suite_0003"
    engine.dispose()


def test_processes_opening_a_fresh_database_at_once_create_it_once(empty_db_url: str) -> None:
    """The CI race: several processes open a new database together; all succeed, one version row."""
    import threading

    from customer_service.store import CHAIN, Store

    barrier, errors, stores = threading.Barrier(4), [], []

    def open_store() -> None:
        barrier.wait()
        try:
            stores.append(Store(empty_db_url))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 4
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {CHAIN.version_table}")).scalars().all() == [head(CHAIN)]
    engine.dispose()
    for s in stores:
        s.dispose()
