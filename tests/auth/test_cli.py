"""`verticals users …` and `verticals audit` through the real entry point, on a real suite database."""

from __future__ import annotations

import csv
import io

import pytest

from shared.auth.users import UserStore
from shared.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_lifecycle_and_audit(tmp_path, monkeypatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'suite.db'}"
    monkeypatch.setenv("VERTICALS_SUITE_DB", url)
    monkeypatch.setenv("PW", "a long enough password")
    assert run(["users", "add", "ana@example.com", "--role", "admin", "--password-env", "PW"], capsys)[0] == 0
    assert run(["users", "add", "bo@example.com", "--role", "agent", "--oidc-only"], capsys)[0] == 0
    code, _, err = run(["users", "add", "cy@example.com", "--role", "boss", "--password-env", "PW"], capsys)
    assert code == 2 and "unknown role 'boss'" in err
    code, _, err = run(["users", "add", "cy@example.com", "--role", "agent", "--password-env", "NOPE"], capsys)
    assert code == 2 and "NOPE" in err
    assert run(["users", "set-role", "bo@example.com", "supervisor"], capsys)[0] == 0
    assert run(["users", "disable", "bo@example.com"], capsys)[0] == 0
    monkeypatch.setenv("PW2", "yet another long password")
    assert run(["users", "reset-password", "ana@example.com", "--password-env", "PW2"], capsys)[0] == 0
    code, out, _ = run(["users", "list"], capsys)
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["ana@example.com", "admin", "enabled", "password"]
    assert lines[1].split()[:4] == ["bo@example.com", "supervisor", "disabled", "oidc-only"]
    assert UserStore(url).authenticate("ana@example.com", "yet another long password").role == "admin"

    code, out, _ = run(["audit", "--app", "suite", "--csv", "--since", "1d"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["app"], r["action"], r["target"]) for r in rows] == [
        ("suite", "user.reset_password", "ana@example.com"), ("suite", "user.disable", "bo@example.com"),
        ("suite", "user.set_role", "bo@example.com"), ("suite", "user.add", "bo@example.com"),
        ("suite", "user.add", "ana@example.com")]
    assert all(r["actor"].startswith("cli:") and r["actor_kind"] == "system" for r in rows)
    code, _, err = run(["audit", "--since", "yesterday"], capsys)
    assert code == 2 and "--since 'yesterday'" in err


def test_audit_reads_every_registered_store(tmp_path, monkeypatch, capsys) -> None:
    from datetime import datetime, timezone

    from finance_monitor import rule_store
    from finance_monitor.rules import Rule
    from finance_monitor.store import Store
    from recommender.config import RecConfig
    from recommender.config_store import ConfigStore
    from recommender.demo import config_db
    from shared.auth import Identity

    monkeypatch.setenv("VERTICALS_HOME", str(tmp_path))
    monkeypatch.delenv("VERTICALS_MONITOR_DB", raising=False)
    monkeypatch.delenv("VERTICALS_REC_DB", raising=False)
    monkeypatch.delenv("VERTICALS_SUITE_DB", raising=False)
    t0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
    store = Store(f"sqlite:///{tmp_path / 'finance_monitor.db'}")
    rule_store.save_rule(store, Rule(name="r1", kind="negative_share"), t0, actor=Identity("ray@example.com", "risk_admin"))
    store.dispose()
    ConfigStore(config_db()).save("wide", RecConfig(), t0, actor=Identity("pat@example.com", "product"))

    code, out, _ = run(["audit", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert {(r["app"], r["actor"], r["action"]) for r in rows} == {
        ("monitor", "ray@example.com", "rule.save"), ("rec", "pat@example.com", "rec.config.save")}
    code, out, _ = run(["audit", "--app", "monitor"], capsys)
    assert "ray@example.com" in out and "pat@example.com" not in out
    code, _, err = run(["audit", "--app", "nope"], capsys)
    assert code == 2 and "--app 'nope'" in err and "monitor" in err
