"""A risk analyst, in a real browser: signs in with a local account, sees the open alert on the overview,
opens it in the alert feed, reads the items behind it and acknowledges it — recorded under her identity in
the alert and the audit trail. The dashboard runs as `streamlit run` over a real store."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
HEADLINES = ["Acme profit rose sharply in the quarter", "Acme shares fell after a profit warning",
             "$ACME guidance cut as losses widen", "Markets steady ahead of the rate decision"]


@pytest.fixture
def monitor_home(tmp_path: Path) -> Path:
    """Four headlines scored by a real (TF-IDF) sentiment model, a watched company and one open alert on it."""
    import pandas as pd

    from finance_monitor import alerts, ingest, rule_store
    from finance_monitor.monitor import Monitor
    from finance_monitor.rules import Evaluation
    from finance_monitor.scoring import set_watch
    from finance_monitor.sources.base import RawItem
    from finance_monitor.store import Store
    from shared.datasets import load_financial_phrasebank
    from tests.finance_monitor.helpers import tfidf_scorers

    home = tmp_path / "home"
    home.mkdir()
    store = Store(f"sqlite:///{home / 'finance_monitor.db'}")
    ingest.ingest_items(store, None, [RawItem(t, published_at=T0 - timedelta(hours=i))
                                      for i, t in enumerate(HEADLINES)], T0)
    set_watch(store, "Acme Corp", "ACME", ["Acme"])
    rule_store.ensure_default_rules(store, T0)
    monitor = Monitor(store, scorers=tfidf_scorers(load_financial_phrasebank()))
    monitor.score(T0)
    monitor.aggregate(T0 + timedelta(days=1))
    rule = next(r for r, _ in rule_store.list_rules(store) if r.name == "sentiment-drop-entity")
    ev = Evaluation(rule.name, "entity", "Acme Corp", pd.Timestamp(T0).floor("1D"), True, -0.6, 0.2, -0.1, 3,
                    "entity 'Acme Corp': mean sentiment -0.60")
    alerts.apply_evaluations(store, rule, [ev], T0, items_for=lambda e: [2, 3])
    store.dispose()
    return home


def test_analyst_opens_and_acknowledges_an_alert(monitor_home: Path, start_app, page) -> None:
    from playwright.sync_api import expect

    from finance_monitor.store import TRAIL, AlertRow, Store
    from shared import audit
    from shared.auth import Identity
    from shared.auth.users import UserStore

    UserStore(f"sqlite:///{monitor_home / 'suite.db'}").add(
        "ana@example.com", "risk_analyst", "ana's long password", actor=Identity("root@example.com", "admin"))
    app = start_app("finance_monitor", monitor_home)
    page.goto(app.url)
    page.get_by_role("textbox", name="E-mail").fill("ana@example.com")
    page.get_by_role("textbox", name="Password").fill("ana's long password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stSidebar']").get_by_text("ana@example.com")).to_be_visible()
    open_alerts = page.locator("[data-testid='stMetric']").filter(has_text="Open alerts")
    expect(open_alerts.locator("[data-testid='stMetricValue']")).to_have_text("1")
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Items")
           .locator("[data-testid='stMetricValue']").first).to_have_text("4")

    page.locator("[data-testid='stSidebar']").get_by_text("Alerts", exact=True).click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    chosen = page.get_by_role("combobox", name="Alert")
    expect(chosen).to_have_value(re.compile(r"#1 \[\w+\] open — entity 'Acme Corp': mean sentiment -0\.60"))
    expect(page.get_by_text("Items behind this alert")).to_be_visible()
    behind = page.locator("[data-testid='stDataFrame']").nth(1).locator("[role='gridcell']")
    expect(behind.filter(has_text="Acme shares fell after a profit warning")).to_have_count(1)
    expect(behind.filter(has_text="$ACME guidance cut as losses widen")).to_have_count(1)
    expect(behind.filter(has_text="Acme profit rose sharply")).to_have_count(0)

    page.get_by_role("button", name="Acknowledge").click()
    # The alert table shows the new status (the selector's own text keeps the label it was opened with).
    status = page.locator("[data-testid='stDataFrame']").first.locator("[role='gridcell'][aria-colindex='3']")
    expect(status).to_have_text("acknowledged")

    store = Store(f"sqlite:///{monitor_home / 'finance_monitor.db'}")
    with store.session() as s:
        alert = s.get(AlertRow, 1)
        assert (alert.status, alert.acked_by) == ("acknowledged", "ana@example.com")
    trail = [(r.actor, r.role, r.action, r.target) for r in audit.entries(store.engine, table=TRAIL)]
    assert trail[0] == ("ana@example.com", "risk_analyst", "alert.ack", "alert 1")
    store.dispose()
