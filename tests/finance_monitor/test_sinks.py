"""Notification delivery against a real local HTTP server and a real aiosmtpd SMTP server."""

from __future__ import annotations

import email
from datetime import timedelta

import pandas as pd
import pytest

from finance_monitor import alerts, queries
from finance_monitor.errors import MonitorError
from finance_monitor.rules import Evaluation, Rule
from finance_monitor.sinks import add_sink, dispatch_pending
from tests.finance_monitor.conftest import T0, free_port

RULE = Rule(name="neg", kind="negative_share", severity="critical")


def fire(store, subject: str = "oil") -> int:
    ev = Evaluation("neg", "topic", subject, pd.Timestamp(T0).floor("1D"), True, 0.6, 0.1, 0.3, 12,
                    f"topic {subject!r}: negative share 60%")
    (aid,) = alerts.apply_evaluations(store, RULE, [ev], T0).opened
    return aid


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[email.message.Message] = []

    class Collect(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, received
    controller.stop()


def test_webhook_gets_slack_compatible_json(store, http_server):
    url = http_server.route("/hook", body=b"ok")
    add_sink(store, "slack", "webhook", {"url": url})
    aid = fire(store)
    rep = dispatch_pending(store, T0)
    assert (rep.sent, rep.failed, rep.pending) == (1, 0, 0)
    (body,) = http_server.posts("/hook")
    assert body["text"].startswith("[FIRING] [CRITICAL] neg: topic 'oil'")
    assert body["blocks"][0]["type"] == "section"
    assert body["alert"]["alert_id"] == aid and body["alert"]["event"] == "firing"
    assert isinstance(body["alert"]["notification_id"], int)
    assert dispatch_pending(store, T0 + timedelta(hours=1)).sent == 0  # nothing is sent twice


def test_webhook_down_keeps_the_alert_pending_and_retries_with_backoff(store, http_server):
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens here
    add_sink(store, "slack", "webhook", {"url": dead, "timeout_s": 1})
    fire(store)
    now = T0
    for attempt, wait in enumerate([30, 60, 120], start=1):
        rep = dispatch_pending(store, now)
        assert (rep.sent, rep.failed, rep.pending) == (0, 1, 1)
        n = queries.notifications(store).iloc[0]
        assert n.attempts == attempt and "unreachable" in n.last_error
        assert (n.next_attempt_at - now).total_seconds() == wait
        assert dispatch_pending(store, now + timedelta(seconds=wait - 1)).failed == 0  # not due yet
        now += timedelta(seconds=wait)
    # The server comes back (same sink, now pointing at a live endpoint): the alert goes out exactly once.
    from finance_monitor.store import SinkRow

    with store.session() as s:
        s.query(SinkRow).filter_by(name="slack").update({"config": {"url": http_server.route("/hook", body=b"ok")}})
    assert dispatch_pending(store, now).sent == 1
    assert len(http_server.posts("/hook")) == 1
    assert queries.notifications(store, "pending").empty


def test_webhook_http_error_is_a_failure(store, http_server):
    add_sink(store, "slack", "webhook", {"url": http_server.route("/hook", status=503)})
    fire(store)
    rep = dispatch_pending(store, T0)
    assert rep.failed == 1 and "HTTP 503" in queries.notifications(store).iloc[0].last_error


def test_email_over_real_smtp(store, smtp_server):
    port, received = smtp_server
    add_sink(store, "mail", "email", {"host": "127.0.0.1", "port": port, "from": "monitor@bank.test",
                                      "to": ["risk@bank.test", "cro@bank.test"], "starttls": False})
    fire(store)
    assert dispatch_pending(store, T0).sent == 1
    (msg,) = received
    assert msg["Subject"] == "[CRITICAL] firing: neg oil"
    assert msg["To"] == "risk@bank.test, cro@bank.test"
    assert "negative share 60%" in msg.get_payload()


def test_smtp_down_then_up_delivers_once(store, smtp_server):
    port, received = smtp_server
    dead = free_port()
    add_sink(store, "mail", "email", {"host": "127.0.0.1", "port": dead, "from": "m@b.test", "to": "r@b.test",
                                      "starttls": False})
    fire(store)
    rep = dispatch_pending(store, T0)
    assert rep.failed == 1 and rep.pending == 1 and received == []
    from finance_monitor.store import SinkRow

    with store.session() as s:
        s.query(SinkRow).filter_by(name="mail").update(
            {"config": {"host": "127.0.0.1", "port": port, "from": "m@b.test", "to": "r@b.test", "starttls": False}})
    assert dispatch_pending(store, T0 + timedelta(minutes=1)).sent == 1
    assert len(received) == 1


def test_sink_config_errors():
    from finance_monitor.sinks import build_sink

    with pytest.raises(MonitorError, match="needs the setting 'url'"):
        build_sink("x", "webhook", {})
    with pytest.raises(MonitorError, match="unknown sink kind 'pager'"):
        build_sink("x", "pager", {})


def test_feed_text_is_escaped_for_slack_mrkdwn(store, http_server):
    from finance_monitor.sinks import escape_mrkdwn

    url = http_server.route("/hook", body=b"ok")
    add_sink(store, "slack", "webhook", {"url": url})
    fire(store, subject="<http://evil.test|click here> <!channel>")
    assert dispatch_pending(store, T0).sent == 1
    (body,) = http_server.posts("/hook")
    for text in (body["text"], body["blocks"][0]["text"]["text"]):
        assert "<!channel>" not in text and "<http://evil.test" not in text
        assert "&lt;!channel&gt;" in text
    assert escape_mrkdwn("a & b <c>") == "a &amp; b &lt;c&gt;"
