"""Notification sinks (log, Slack-compatible webhook, SMTP e-mail) and outbox delivery.

Delivery is at-least-once and loss-free: a notification row stays `pending` until its sink
accepts it; a failure records the error and schedules the next attempt with exponential back-off.
Nothing is ever dropped after N attempts — the dashboard shows what is stuck and why. Each payload
carries `notification_id` so receivers can de-duplicate the rare redelivery after a crash between
sending and recording.
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from sqlalchemy import select

from finance_monitor.errors import MonitorError, NotFoundError, SinkError
from finance_monitor.store import NotificationRow, SinkRow, Store, record_audit
from shared.auth import Identity, require
from shared.names import check_name

log = logging.getLogger("finance_monitor.alerts")

SINK_KINDS = ("log", "webhook", "email")


class AlertSink(Protocol):
    name: str

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver or raise `SinkError`."""


def render_text(p: dict[str, Any]) -> str:
    head = {"firing": "FIRING", "repeat": "STILL FIRING", "resolved": "RESOLVED"}.get(p.get("event", ""), "ALERT")
    lines = [f"[{head}] [{p.get('severity', '').upper()}] {p.get('rule')}: {p.get('message')}"]
    lines += [f"  - {t}" for t in p.get("items", [])]
    return "\n".join(lines)


@dataclass
class LogSink:
    name: str = "log"

    def send(self, payload: dict[str, Any]) -> None:
        log.warning("%s", render_text(payload))


@dataclass
class WebhookSink:
    """POSTs Slack's incoming-webhook JSON (`text` + `blocks`) with the raw alert under `alert`."""

    name: str
    url: str
    timeout_s: float = 10.0

    def send(self, payload: dict[str, Any]) -> None:
        body = {"text": render_text(payload),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": render_text(payload)}}],
                "alert": payload}
        try:
            resp = httpx.post(self.url, json=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise SinkError(f"webhook {self.name} ({self.url}) unreachable: {exc}") from exc
        if resp.status_code >= 300:
            raise SinkError(f"webhook {self.name} ({self.url}) answered HTTP {resp.status_code}")


@dataclass
class EmailSink:
    name: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def send(self, payload: dict[str, Any]) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[{payload.get('severity', '').upper()}] {payload.get('event')}: {payload.get('rule')} " \
                         f"{payload.get('subject')}"
        msg["From"], msg["To"] = self.sender, ", ".join(self.recipients)
        msg["X-Notification-Id"] = str(payload.get("notification_id", ""))
        msg.set_content(render_text(payload) + "\n\n" + json.dumps(payload, indent=2, default=str))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise SinkError(f"e-mail sink {self.name} ({self.host}:{self.port}) failed: {exc}") from exc


def build_sink(name: str, kind: str, config: dict[str, Any]) -> AlertSink:
    try:
        if kind == "log":
            return LogSink(name)
        if kind == "webhook":
            return WebhookSink(name, config["url"], float(config.get("timeout_s", 10)))
        if kind == "email":
            rcpt = config["to"]
            return EmailSink(name, config.get("host", "localhost"), int(config.get("port", 25)), config["from"],
                             tuple([rcpt] if isinstance(rcpt, str) else rcpt), bool(config.get("starttls", False)),
                             config.get("username"), config.get("password"), float(config.get("timeout_s", 10)))
    except KeyError as exc:
        raise MonitorError(f"sink {name!r} of kind {kind!r} needs the setting {exc.args[0]!r}") from exc
    raise MonitorError(f"unknown sink kind {kind!r}; use one of {', '.join(SINK_KINDS)}")


def add_sink(store: Store, name: str, kind: str, config: dict[str, Any] | None = None, *,
             actor: Identity | None = None, now: datetime | None = None) -> None:
    require(actor, "monitor.admin")
    check_name(name, "sink")
    build_sink(name, kind, config or {})  # validates before anything is written
    with store.session() as s:
        if s.scalar(select(SinkRow).where(SinkRow.name == name)):
            raise MonitorError(f"a sink named {name!r} already exists")
        s.add(SinkRow(name=name, kind=kind, config=config or {}, enabled=True))
        # The sink's settings may name secrets' variables or hosts: the trail records which keys, not values.
        record_audit(s, actor, "sink.add", f"sink {name}", None, {"kind": kind, "settings": sorted(config or {})},
                     now=now)


def remove_sink(store: Store, name: str, *, actor: Identity | None = None, now: datetime | None = None) -> None:
    require(actor, "monitor.admin")
    with store.session() as s:
        row = s.scalar(select(SinkRow).where(SinkRow.name == name))
        if row is None:
            raise NotFoundError(f"no sink named {name!r}")
        row.enabled = False  # pending notifications keep their history; nothing is deleted
        record_audit(s, actor, "sink.remove", f"sink {name}", {"enabled": True}, {"enabled": False}, now=now)


def configured_sinks(store: Store) -> dict[str, AlertSink]:
    with store.session() as s:
        return {r.name: build_sink(r.name, r.kind, r.config or {}) for r in s.scalars(select(SinkRow))}


@dataclass(frozen=True)
class DispatchReport:
    sent: int
    failed: int
    pending: int


def dispatch_pending(store: Store, now: datetime, sinks: dict[str, AlertSink] | None = None,
                     backoff_base_s: float = 30.0, backoff_max_s: float = 3600.0) -> DispatchReport:
    """Try every due pending notification once, oldest first."""
    sinks = configured_sinks(store) if sinks is None else sinks
    with store.session() as s:
        due = s.execute(select(NotificationRow.id, NotificationRow.sink, NotificationRow.payload,
                               NotificationRow.attempts)
                        .where(NotificationRow.status == "pending", NotificationRow.next_attempt_at <= now)
                        .order_by(NotificationRow.id)).all()
    sent = failed = 0
    for row in due:
        sink = sinks.get(row.sink)
        error: str | None = None
        if sink is None:
            error = f"sink {row.sink!r} is not configured (any more); re-add it to deliver"
        else:
            try:
                sink.send({**row.payload, "notification_id": row.id})
            except SinkError as exc:
                error = str(exc)
        with store.session() as s:
            n = s.get(NotificationRow, row.id)
            n.attempts = row.attempts + 1
            if error is None:
                n.status, n.sent_at, n.last_error = "sent", now, None
                sent += 1
            else:
                delay = min(backoff_base_s * 2 ** row.attempts, backoff_max_s)
                n.next_attempt_at, n.last_error = now + timedelta(seconds=delay), error
                failed += 1
                log.info("notification %s to %s failed (attempt %d), retry in %.0fs: %s",
                         row.id, row.sink, n.attempts, delay, error)
    with store.session() as s:
        pending = len(s.scalars(select(NotificationRow.id).where(NotificationRow.status == "pending")).all())
    return DispatchReport(sent, failed, pending)
