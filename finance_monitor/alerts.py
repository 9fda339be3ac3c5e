"""Alert lifecycle, following Alertmanager's conventions.

- Grouping/de-duplication: one unresolved alert per fingerprint (rule + subject); a rule that keeps
  firing updates that alert instead of opening another (the database enforces it too).
- Repeat interval: a still-firing, unacknowledged alert is re-notified at most every
  `repeat_interval_s`. Acknowledged alerts stay open but are not re-notified (a silence).
- Cooldown: after an alert is resolved, the same fingerprint does not open a new alert for
  `cooldown_s`.
- Resolve: automatically once the rule stops firing for `resolve_after_s` (a "resolved"
  notification goes out, like `send_resolved`), or by hand.
Notifications are written to an outbox in the same transaction as the alert change and delivered
by `sinks.dispatch_pending`, so a crash never loses or duplicates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from finance_monitor.errors import AlertStateError, NotFoundError
from finance_monitor.rules import Evaluation, Rule
from finance_monitor.store import (
    AlertItemRow,
    AlertRow,
    ItemRow,
    NotificationRow,
    SinkRow,
    Store,
    insert_ignore,
    record_audit,
)
from shared.auth import Identity, require

MAX_LINKED_ITEMS = 50


def fingerprint(rule: str, subject_type: str, subject: str) -> str:
    return f"{rule}|{subject_type}|{subject}"


@dataclass
class AlertChanges:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    repeated: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)  # fingerprints held back by the cooldown


def apply_evaluations(store: Store, rule: Rule, evaluations: list[Evaluation], now: datetime,
                      items_for: Any = None) -> AlertChanges:
    """Fold one rule's evaluations into alerts. `items_for(evaluation) -> list[item_id]` links causes."""
    changes = AlertChanges()
    with store.session() as s:
        sinks = [r.name for r in s.scalars(select(SinkRow).where(SinkRow.enabled.is_(True)).order_by(SinkRow.id))]
        for ev in evaluations:
            fp = fingerprint(rule.name, ev.subject_type, ev.subject)
            open_alert = s.scalar(select(AlertRow).where(AlertRow.fingerprint == fp, AlertRow.status != "resolved"))
            bucket = pd.Timestamp(ev.bucket_start).to_pydatetime()
            if ev.firing:
                if open_alert is not None:
                    if bucket > open_alert.bucket_start:
                        open_alert.fire_count += 1
                    open_alert.bucket_start = max(open_alert.bucket_start, bucket)
                    open_alert.value, open_alert.baseline, open_alert.message = ev.value, ev.baseline, ev.message
                    open_alert.last_fired_at = now
                    _link_items(store, s, open_alert.id, items_for(ev) if items_for else [])
                    changes.updated.append(open_alert.id)
                    due = open_alert.last_notified_at is None or \
                        now - open_alert.last_notified_at >= timedelta(seconds=rule.repeat_interval_s)
                    if open_alert.status == "open" and due:
                        _enqueue(s, open_alert, "repeat", sinks, now)
                        changes.repeated.append(open_alert.id)
                    continue
                last = s.scalar(select(AlertRow).where(AlertRow.fingerprint == fp)
                                .order_by(AlertRow.resolved_at.desc()).limit(1))
                if last is not None and last.resolved_at and now - last.resolved_at < timedelta(seconds=rule.cooldown_s):
                    changes.suppressed.append(fp)
                    continue
                alert = AlertRow(fingerprint=fp, rule=rule.name, subject_type=ev.subject_type, subject=ev.subject,
                                 severity=rule.severity, status="open", message=ev.message, value=ev.value,
                                 baseline=ev.baseline, bucket_start=bucket, first_fired_at=now, last_fired_at=now,
                                 fire_count=1, notify_seq=0)
                s.add(alert)
                s.flush()
                _link_items(store, s, alert.id, items_for(ev) if items_for else [])
                _enqueue(s, alert, "firing", sinks, now)
                changes.opened.append(alert.id)
            elif open_alert is not None and bucket > open_alert.bucket_start and \
                    now - open_alert.last_fired_at >= timedelta(seconds=rule.resolve_after_s):
                _resolve(s, open_alert, "auto", now, sinks)
                changes.resolved.append(open_alert.id)
    return changes


def _link_items(store: Store, s: Session, alert_id: int, item_ids: list[int]) -> None:
    have = s.scalar(select(AlertItemRow.id).where(AlertItemRow.alert_id == alert_id).limit(1))
    ids = item_ids[:MAX_LINKED_ITEMS] if have is None else item_ids[:10]
    if ids:
        s.execute(insert_ignore(store, AlertItemRow.__table__), [{"alert_id": alert_id, "item_id": i} for i in ids])


def _enqueue(s: Session, alert: AlertRow, event: str, sinks: list[str], now: datetime) -> None:
    alert.notify_seq += 1
    alert.last_notified_at = now
    payload = alert_payload(s, alert, event)
    for sink in sinks:
        s.add(NotificationRow(alert_id=alert.id, sink=sink, event=event, seq=alert.notify_seq, status="pending",
                              attempts=0, next_attempt_at=now, created_at=now, payload=payload))


def alert_payload(s: Session, alert: AlertRow, event: str) -> dict[str, Any]:
    titles = s.scalars(select(ItemRow.title).join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
                       .where(AlertItemRow.alert_id == alert.id).order_by(AlertItemRow.id).limit(5)).all()
    return {
        "alert_id": alert.id, "event": event, "seq": alert.notify_seq, "rule": alert.rule,
        "subject_type": alert.subject_type, "subject": alert.subject, "severity": alert.severity,
        "status": alert.status, "message": alert.message, "value": _finite(alert.value),
        "baseline": _finite(alert.baseline), "bucket_start": alert.bucket_start.isoformat(),
        "first_fired_at": alert.first_fired_at.isoformat(), "items": list(titles),
    }


def _finite(x: float | None) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _resolve(s: Session, alert: AlertRow, by: str, now: datetime, sinks: list[str]) -> None:
    alert.status, alert.resolved_by, alert.resolved_at = "resolved", by, now
    _enqueue(s, alert, "resolved", sinks, now)


def _get(s: Session, alert_id: int) -> AlertRow:
    alert = s.get(AlertRow, alert_id)
    if alert is None:
        raise NotFoundError(f"no alert with id {alert_id}")
    return alert


def _who(actor: Identity | None, by: str | None) -> str:
    """The name on the alert: a signed-in user cannot claim another; the shell's operator may give one."""
    who = require(actor, "monitor.ack")
    return (by or who.name) if who.kind == "system" else who.name


def acknowledge(store: Store, alert_id: int, by: str | None, now: datetime, *,
                actor: Identity | None = None) -> None:
    """Mark the alert seen. A signed-in `actor` is recorded as who acked; `by` only names a CLI operator."""
    name = _who(actor, by)
    with store.session() as s:
        alert = _get(s, alert_id)
        if alert.status == "resolved":
            raise AlertStateError(f"alert {alert_id} is already resolved; nothing to acknowledge")
        before = alert.status
        alert.status, alert.acked_by, alert.acked_at = "acknowledged", name, now
        record_audit(s, actor, "alert.ack", f"alert {alert_id}", {"status": before},
                     {"status": "acknowledged", "by": name}, now=now)


def resolve(store: Store, alert_id: int, by: str | None, now: datetime, *, actor: Identity | None = None) -> None:
    name = _who(actor, by)
    with store.session() as s:
        alert = _get(s, alert_id)
        if alert.status == "resolved":
            raise AlertStateError(f"alert {alert_id} is already resolved")
        before = alert.status
        sinks = [r.name for r in s.scalars(select(SinkRow).where(SinkRow.enabled.is_(True)))]
        _resolve(s, alert, name, now, sinks)
        record_audit(s, actor, "alert.resolve", f"alert {alert_id}", {"status": before},
                     {"status": "resolved", "by": name}, now=now)
