"""The risk dashboard, headless through Streamlit's AppTest, over a real store."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from finance_monitor import alerts, ingest, rule_store
from finance_monitor.monitor import Monitor
from finance_monitor.rules import Evaluation
from finance_monitor.scoring import set_watch
from finance_monitor.sources.base import RawItem
from finance_monitor.spec import SPEC
from finance_monitor.store import AlertRow
from tests.finance_monitor.conftest import T0


@pytest.fixture
def dashboard_store(store, tfidf_scorers, monkeypatch):
    texts = ["Acme profit rose sharply in the quarter", "Acme shares fell after a profit warning",
             "$ACME guidance cut as losses widen", "Markets steady ahead of the rate decision"]
    ingest.ingest_items(store, None, [RawItem(t, published_at=T0 - timedelta(hours=i)) for i, t in enumerate(texts)], T0)
    set_watch(store, "Acme Corp", "ACME", ["Acme"])
    rule_store.ensure_default_rules(store, T0)
    m = Monitor(store, scorers=tfidf_scorers)
    m.score(T0)
    m.aggregate(T0 + timedelta(days=1))
    ev = Evaluation("sentiment-drop-entity", "entity", "Acme Corp", pd.Timestamp(T0).floor("1D"), True, -0.6, 0.2,
                    -0.1, 3, "entity 'Acme Corp': mean sentiment -0.60")
    rule = next(r for r, _ in rule_store.list_rules(store) if r.name == "sentiment-drop-entity")
    alerts.apply_evaluations(store, rule, [ev], T0, items_for=lambda e: [2, 3])
    monkeypatch.setenv("VERTICALS_MONITOR_DB", store.url)
    return store


def run_app() -> AppTest:
    at = AppTest.from_file(str(SPEC.page_path()), default_timeout=120)
    return at.run()


def test_overview_shows_counts_and_the_open_alert(dashboard_store):
    at = run_app()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Items"] == "4" and metrics["Open alerts"] == "1"
    frames = [d.value for d in at.dataframe]
    assert any("entity 'Acme Corp'" in " ".join(map(str, f.get("message", []))) for f in frames)


def test_acknowledge_then_resolve_from_the_alert_feed(dashboard_store, tmp_path, monkeypatch):
    # Who acknowledges is the signed-in analyst (issue 15 replaced the free-text "Your name").
    from finance_monitor.store import TRAIL
    from shared import audit
    from shared.auth import Identity
    from shared.auth.users import UserStore

    monkeypatch.setenv("VERTICALS_SUITE_DB", f"sqlite:///{tmp_path / 'suite.db'}")
    UserStore().add("ana@example.com", "risk_analyst", "ana's long password", actor=Identity("x@example.com", "admin"))
    at = run_app()
    at.text_input(key="signin_email").input("ana@example.com")
    at.text_input(key="signin_password").input("ana's long password")
    at.button[0].click().run()
    at.sidebar.radio(key="page").set_value("Alerts").run()
    assert not at.exception
    assert at.sidebar.radio(key="page").options == ["Overview", "Alerts", "Entities"]  # no admin pages
    items = at.dataframe[1].value
    assert len(items) == 2 and set(items["title"]) == {"Acme shares fell after a profit warning",
                                                         "$ACME guidance cut as losses widen"}
    at.button(key="ack").click().run()
    assert not at.exception
    with dashboard_store.session() as s:
        a = s.get(AlertRow, 1)
        assert (a.status, a.acked_by) == ("acknowledged", "ana@example.com")
    at.button(key="resolve").click().run()
    with dashboard_store.session() as s:
        assert s.get(AlertRow, 1).status == "resolved"
    trail = [(r.actor, r.role, r.action, r.target)
             for r in reversed(audit.entries(dashboard_store.engine, table=TRAIL))]
    assert trail[-2:] == [("ana@example.com", "risk_analyst", "alert.ack", "alert 1"),
                          ("ana@example.com", "risk_analyst", "alert.resolve", "alert 1")]


def test_entity_rules_and_sources_pages(dashboard_store):
    at = run_app()
    at.sidebar.radio(key="page").set_value("Entities").run()
    at.text_input(key="entity_query").set_value("acme").run()
    assert not at.exception and at.selectbox(key="entity").value == "Acme Corp"
    assert len(at.dataframe[0].value) == 3
    at.sidebar.radio(key="page").set_value("Rules").run()
    at.selectbox(key="rule").set_value("negative-surge-all").run()
    at.text_area(key="rule_yaml").set_value("name: negative-surge-all\nkind: negative_share\nsubject_type: all\nk: 3.5\n").run()
    at.button(key="save_rule").click().run()
    assert not at.exception
    rule = next(r for r, _ in rule_store.list_rules(dashboard_store) if r.name == "negative-surge-all")
    assert rule.k == 3.5
    at.text_area(key="rule_yaml").set_value("name: bad\nkind: nonsense\n").run()
    at.button(key="save_rule").click().run()
    assert "Not saved" in at.error[0].value and "nonsense" in at.error[0].value
    at.sidebar.radio(key="page").set_value("Sources").run()
    assert not at.exception


def test_audit_page_for_risk_admins_only(dashboard_store, tmp_path, monkeypatch):
    from shared.auth import Identity
    from shared.auth.users import UserStore

    ray = Identity("ray@example.com", "risk_admin")
    ingest.add_source(dashboard_store, "wire", "folder", str(tmp_path), now=T0, actor=ray)
    alerts.acknowledge(dashboard_store, 1, None, T0, actor=Identity("ana@example.com", "risk_analyst"))
    monkeypatch.setenv("VERTICALS_SUITE_DB", f"sqlite:///{tmp_path / 'suite.db'}")
    users = UserStore()
    users.add("ray@example.com", "risk_admin", "ray's long password", actor=Identity("root@example.com", "admin"))
    at = run_app()
    at.text_input(key="signin_email").input("ray@example.com")
    at.text_input(key="signin_password").input("ray's long password")
    at.button[0].click().run()
    at.sidebar.radio(key="page").set_value("Audit").run()
    assert not at.exception
    assert list(at.dataframe[0].value["action"]) == ["watch.set"]  # the last 30 days: the fixture's set_watch
    at.number_input(key="audit_days").set_value(3650).run()  # back to T0
    table = at.dataframe[0].value
    assert list(table["actor"])[:3] == ["ana@example.com", "ray@example.com", "system"]  # newest first
    assert list(table["action"])[:3] == ["alert.ack", "source.add", "rule.save"]
    assert at.get("download_button")[0].proto.label == "Download CSV"
    at.text_input(key="audit_action").input("source.").run()
    assert list(at.dataframe[0].value["action"]) == ["source.add"]
