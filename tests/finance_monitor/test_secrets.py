"""Secrets go by environment-variable name, never stored or printed; STARTTLS by default; URLs masked."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from finance_monitor.sinks import add_sink, dispatch_pending
from finance_monitor.store import NotificationRow, SinkRow, Store
from shared.errors import SecretInConfigError
from tests.finance_monitor.conftest import T0, free_port
from tests.finance_monitor.test_sinks import fire, smtp_server  # noqa: F401 - the fixture, reused

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def test_a_literal_password_or_token_is_refused_and_nothing_is_stored(store):
    for config in ({"host": "h", "from": "a@b.test", "to": "c@d.test", "password": "hunter2"},
                   {"host": "h", "from": "a@b.test", "to": "c@d.test", "token": "hunter2"}):
        with pytest.raises(SecretInConfigError, match="environment"):
            add_sink(store, "mail", "email", config)
    with pytest.raises(SecretInConfigError, match="url_env"):
        add_sink(store, "hook", "webhook", {"url": "https://hooks.test/x?token=hunter2"})
    with store.session() as s:
        assert s.query(SinkRow).count() == 0


def test_smtp_password_is_stored_by_variable_name_only(store, tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "hunter2-very-secret")
    add_sink(store, "mail", "email", {"host": "127.0.0.1", "from": "a@b.test", "to": "c@d.test",
                                      "username": "monitor", "password_env": "MONITOR_SMTP_PASSWORD"})
    store.dispose()
    assert b"hunter2-very-secret" not in (tmp_path / "monitor.db").read_bytes()
    with store.session() as s:
        assert s.query(SinkRow).one().config["password_env"] == "MONITOR_SMTP_PASSWORD"


def test_starttls_is_on_by_default_with_a_clear_error_when_the_server_lacks_it(store, smtp_server):  # noqa: F811
    port, received = smtp_server  # aiosmtpd without TLS
    add_sink(store, "mail", "email", {"host": "127.0.0.1", "port": port, "from": "m@b.test", "to": "r@b.test"})
    fire(store)
    assert dispatch_pending(store, T0).failed == 1 and received == []
    with store.session() as s:
        error = s.query(NotificationRow).one().last_error
    assert "does not offer STARTTLS" in error and "starttls: false" in error


def test_webhook_token_is_masked_in_stored_errors_and_logs(store, caplog):
    token = "T0KEN-" + uuid.uuid4().hex
    add_sink(store, "slack", "webhook", {"url": f"http://127.0.0.1:{free_port()}/services/T1/B2/{token}",
                                         "timeout_s": 1})
    fire(store)
    with caplog.at_level(logging.DEBUG):
        assert dispatch_pending(store, T0).failed == 1
    with store.session() as s:
        error = s.query(NotificationRow).one().last_error
    assert "unreachable" in error and "/services/***" in error
    assert token not in error and token not in caplog.text


def test_webhook_url_can_come_from_the_environment(store, http_server, monkeypatch):
    url = http_server.route("/services/T1/B2/secret", body=b"ok")
    monkeypatch.setenv("MONITOR_SLACK_URL", url)
    add_sink(store, "slack", "webhook", {"url_env": "MONITOR_SLACK_URL"})
    fire(store)
    assert dispatch_pending(store, T0).sent == 1
    with store.session() as s:
        assert "secret" not in str(s.query(SinkRow).one().config)


def test_monitor_status_masks_the_database_password():
    name = f"t_security_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = f"postgresql+psycopg://postgres:pw-s3cret@127.0.0.1:5432/{name}"  # trust auth ignores the password
    try:
        store = Store(url)
        store.dispose()
        from finance_monitor.cli import app

        out = CliRunner().invoke(app, ["status", "--db", url])
        assert out.exit_code == 0, out.output
        assert "pw-s3cret" not in out.output and "postgres:***@127.0.0.1" in out.output
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
