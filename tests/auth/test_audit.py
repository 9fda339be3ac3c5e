"""The audit table: same-transaction writes, append-only on both back-ends, filters, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from shared import audit
from shared.auth import Identity

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
ANA = Identity("ana@example.com", "supervisor")


@pytest.fixture
def engine(suite_db: str):
    eng = create_engine(suite_db)
    audit.ensure_table(eng)
    audit.ensure_table(eng)  # idempotent: a second store start finds the table and its guards
    yield eng
    eng.dispose()


def test_row_commits_and_rolls_back_with_the_change(engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, ANA, "kb.delete", "workspace demo / doc 3", {"name": "faq.csv"}, None, now=T0)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        audit.record(conn, ANA, "kb.ingest", "workspace demo / doc 4", None, {"name": "x"}, now=T0)
        raise RuntimeError("the change failed")
    rows = audit.entries(engine)
    assert [(r.actor, r.role, r.action, r.target, r.before, r.after, r.at) for r in rows] == [
        ("ana@example.com", "supervisor", "kb.delete", "workspace demo / doc 3", '{"name":"faq.csv"}', None, T0)]


def test_update_and_delete_are_refused_by_the_database(engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, None, "x.y", "t", now=T0)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert [r.actor for r in audit.entries(engine)] == ["system"]


def test_filters_and_short_json(engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, ANA, "alert.ack", "alert 1", now=T0 - timedelta(days=3))
        audit.record(conn, ANA, "alert.resolve", "alert 1", now=T0)
        audit.record(conn, Identity("bo@example.com", "risk_admin"), "rule.save", "rule r1",
                     None, {"text": "x" * 5000}, now=T0)
    assert [r.action for r in audit.entries(engine, since=T0 - timedelta(hours=1))] == ["rule.save", "alert.resolve"]
    assert [r.action for r in audit.entries(engine, action="alert.")] == ["alert.resolve", "alert.ack"]
    assert [r.action for r in audit.entries(engine, actor="bo@example.com")] == ["rule.save"]
    long = audit.entries(engine, action="rule.")[0].after
    assert len(long) == audit.MAX_JSON_CHARS and long.endswith("…")


def test_csv_export_has_every_row_and_defuses_formulas(engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, ANA, "template.save", "=HYPERLINK(\"x\")", None, {"a": 1}, now=T0)
    out = list(csv.DictReader(io.StringIO(audit.to_csv(audit.entries(engine), app="bot"))))
    assert out == [{"app": "bot", "id": "1", "at": "2026-12-02T09:00:00+00:00", "actor": "ana@example.com",
                    "actor_kind": "user", "role": "supervisor", "action": "template.save",
                    "target": "'=HYPERLINK(\"x\")", "before": "", "after": '{"a":1}'}]
