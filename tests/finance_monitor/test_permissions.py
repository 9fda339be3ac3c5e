"""The monitor's services check roles themselves and audit each change with the signed-in identity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from finance_monitor import alerts, ingest, queries, rule_store
from finance_monitor.rules import Rule
from finance_monitor.scoring import set_watch
from finance_monitor.sinks import add_sink, remove_sink
from shared.auth import Identity, PermissionDenied
from tests.finance_monitor.conftest import T0
from tests.finance_monitor.test_alerts import RULE, ev

ANA = Identity("ana@example.com", "risk_analyst")
RAY = Identity("ray@example.com", "risk_admin")
PAT = Identity("pat@example.com", "product")


def trail(store) -> list[tuple[str, str, str, str | None, str | None]]:
    return [(r.actor, r.action, r.target, r.before, r.after)
            for r in reversed(queries.audit_trail(store, actor=RAY))]


def test_analyst_acknowledges_as_herself_and_cannot_claim_another_name(store) -> None:
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0).opened
    alerts.acknowledge(store, aid, "somebody-else", T0 + timedelta(minutes=5), actor=ANA)
    alerts.resolve(store, aid, None, T0 + timedelta(hours=1), actor=ANA)
    from finance_monitor.store import AlertRow

    with store.session() as s:
        row = s.get(AlertRow, aid)
        assert (row.acked_by, row.resolved_by) == ("ana@example.com", "ana@example.com")
    assert trail(store) == [
        ("ana@example.com", "alert.ack", f"alert {aid}", '{"status":"open"}', '{"by":"ana@example.com","status":"acknowledged"}'),
        ("ana@example.com", "alert.resolve", f"alert {aid}", '{"status":"acknowledged"}',
         '{"by":"ana@example.com","status":"resolved"}'),
    ]


def test_product_user_may_not_acknowledge(store) -> None:
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0).opened
    with pytest.raises(PermissionDenied, match="pat@example.com \\(role product\\).*'monitor.ack'"):
        alerts.acknowledge(store, aid, None, T0, actor=PAT)
    from finance_monitor.store import AlertRow

    with store.session() as s:
        assert s.get(AlertRow, aid).status == "open"
    assert trail(store) == []


def test_analyst_may_not_edit_sources_rules_sinks_or_the_watch_list(store) -> None:
    refused = [
        lambda: ingest.add_source(store, "wire", "folder", "/tmp/x", now=T0, actor=ANA),
        lambda: rule_store.save_rule(store, Rule(name="r1", kind="negative_share"), T0, actor=ANA),
        lambda: add_sink(store, "log", "log", actor=ANA),
        lambda: set_watch(store, "Acme Corp", "ACME", actor=ANA),
        lambda: queries.audit_trail(store, actor=ANA),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied, match="'monitor.admin'"):
            call()
    assert ingest.due_sources(store, T0) == [] and rule_store.list_rules(store) == []
    assert trail(store) == []


def test_admin_changes_are_each_audited(store) -> None:
    ingest.add_source(store, "wire", "folder", "/tmp/x", interval_s=60, now=T0, actor=RAY)
    ingest.set_paused(store, "wire", True, actor=RAY, now=T0)
    ingest.remove_source(store, "wire", actor=RAY, now=T0)
    rule_store.save_rule(store, Rule(name="r1", kind="negative_share"), T0, actor=RAY)
    rule_store.set_enabled(store, "r1", False, T0, actor=RAY)
    rule_store.delete_rule(store, "r1", actor=RAY, now=T0)
    add_sink(store, "hook", "webhook", {"url": "http://127.0.0.1:9/x"}, actor=RAY, now=T0)
    remove_sink(store, "hook", actor=RAY, now=T0)
    set_watch(store, "Acme Corp", "ACME", ["Acme"], actor=RAY, now=T0)
    rows = trail(store)
    assert [(a, act, t) for a, act, t, _, _ in rows] == [
        ("ray@example.com", "source.add", "source wire"), ("ray@example.com", "source.pause", "source wire"),
        ("ray@example.com", "source.remove", "source wire"), ("ray@example.com", "rule.save", "rule r1"),
        ("ray@example.com", "rule.disable", "rule r1"), ("ray@example.com", "rule.delete", "rule r1"),
        ("ray@example.com", "sink.add", "sink hook"), ("ray@example.com", "sink.remove", "sink hook"),
        ("ray@example.com", "watch.set", "watch Acme Corp"),
    ]
    assert rows[6][4] == '{"kind":"webhook","settings":["url"]}'  # which settings, not their values
    assert rows[8][4] == '{"aliases":["Acme"],"ticker":"ACME"}'
