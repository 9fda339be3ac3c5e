"""Alert lifecycle (Alertmanager conventions) on a real SQLite store and on PostgreSQL, with fixed times."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from finance_monitor import alerts
from finance_monitor.errors import AlertStateError, NotFoundError
from finance_monitor.rules import Evaluation, Rule
from finance_monitor.sinks import add_sink
from finance_monitor.store import AlertRow, NotificationRow, Store
from tests.finance_monitor.conftest import T0

RULE = Rule(name="neg", kind="negative_share", cooldown_s=6 * 3600, repeat_interval_s=4 * 3600, resolve_after_s=0)
DAY = timedelta(days=1)


@pytest.fixture
def store(db_url):
    """Both back-ends: the one-open-alert rule is a partial unique index, written per dialect."""
    s = Store(db_url)
    yield s
    s.dispose()


def ev(firing: bool, bucket_offset_days: int = 0, subject: str = "oil", value: float = 0.5) -> Evaluation:
    bucket = pd.Timestamp(T0).floor("1D") + pd.Timedelta(days=bucket_offset_days)
    return Evaluation("neg", "topic", subject, bucket, firing, value, 0.1, 0.3, 10, f"{subject} at {value}")


def notes(store) -> list[tuple[int, str, str, int]]:
    with store.session() as s:
        return [(n.alert_id, n.sink, n.event, n.seq) for n in s.scalars(select(NotificationRow).order_by(NotificationRow.id))]


def alert(store, alert_id: int) -> AlertRow:
    with store.session() as s:
        return s.get(AlertRow, alert_id)


def test_one_open_alert_per_rule_and_subject_with_repeat_interval(store):
    add_sink(store, "log", "log")
    c1 = alerts.apply_evaluations(store, RULE, [ev(True), ev(True, subject="gas")], T0)
    assert len(c1.opened) == 2
    c2 = alerts.apply_evaluations(store, RULE, [ev(True)], T0 + timedelta(hours=1))  # still firing, same bucket
    assert c2.opened == [] and c2.updated == c1.opened[:1] and c2.repeated == []
    oil = c1.opened[0]
    c3 = alerts.apply_evaluations(store, RULE, [ev(True, 1)], T0 + timedelta(hours=5))  # past the repeat interval
    assert c3.repeated == [oil]
    a = alert(store, oil)
    assert a.fire_count == 2 and a.status == "open" and a.first_fired_at == T0
    assert notes(store) == [(oil, "log", "firing", 1), (c1.opened[1], "log", "firing", 1), (oil, "log", "repeat", 2)]


def test_acknowledged_alerts_are_not_renotified(store):
    add_sink(store, "log", "log")
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0).opened
    alerts.acknowledge(store, aid, "ana", T0 + timedelta(minutes=5))
    alerts.apply_evaluations(store, RULE, [ev(True, 1)], T0 + DAY)
    a = alert(store, aid)
    assert a.status == "acknowledged" and a.acked_by == "ana" and a.fire_count == 2
    assert [n[2] for n in notes(store)] == ["firing"]


def test_auto_resolve_then_cooldown_then_new_alert(store):
    add_sink(store, "log", "log")
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0).opened
    same_bucket = alerts.apply_evaluations(store, RULE, [ev(False)], T0 + timedelta(hours=1))
    assert same_bucket.resolved == []  # the bucket that fired is not re-judged as calm
    c = alerts.apply_evaluations(store, RULE, [ev(False, 1)], T0 + DAY)
    assert c.resolved == [aid] and alert(store, aid).resolved_by == "auto"
    again = alerts.apply_evaluations(store, RULE, [ev(True, 1)], T0 + DAY + timedelta(hours=1))
    assert again.opened == [] and again.suppressed == ["neg|topic|oil"]  # cooldown holds it back
    later = alerts.apply_evaluations(store, RULE, [ev(True, 2)], T0 + 2 * DAY)
    assert len(later.opened) == 1 and later.opened[0] != aid
    assert [n[2] for n in notes(store)] == ["firing", "resolved", "firing"]


def test_manual_transitions_and_errors(store):
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0).opened
    alerts.resolve(store, aid, "bob", T0 + timedelta(hours=1))
    with pytest.raises(AlertStateError, match="already resolved"):
        alerts.acknowledge(store, aid, "bob", T0)
    with pytest.raises(NotFoundError, match="no alert with id 999"):
        alerts.resolve(store, 999, "bob", T0)


def test_the_database_refuses_a_second_open_alert(store):
    alerts.apply_evaluations(store, RULE, [ev(True)], T0)
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(AlertRow(fingerprint="neg|topic|oil", rule="neg", subject_type="topic", subject="oil", severity="warning",
                       status="open", message="dup", value=1.0, bucket_start=T0, first_fired_at=T0, last_fired_at=T0))


def test_alert_links_the_items_behind_it(store):
    from finance_monitor import ingest, queries
    from finance_monitor.sources.base import RawItem

    ingest.ingest_items(store, None, [RawItem(f"Oil story {i}", published_at=T0) for i in range(3)], T0)
    (aid,) = alerts.apply_evaluations(store, RULE, [ev(True)], T0, items_for=lambda e: [3, 1]).opened
    from finance_monitor.store import AlertItemRow

    with store.session() as s:
        assert sorted(s.scalars(select(AlertItemRow.item_id).where(AlertItemRow.alert_id == aid))) == [1, 3]
    assert queries.alert_items(store, aid).empty  # not scored yet: the drill-down shows scored items only
