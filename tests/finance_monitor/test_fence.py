"""Feeds go through the fenced client; one bad source fails alone, with its reason stored and shown."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from finance_monitor import ingest
from finance_monitor.settings import FetchSettings
from tests.finance_monitor.conftest import T0
from tests.finance_monitor.helpers import rss

FAST = FetchSettings(timeout_s=5.0, backoff_base_s=60, backoff_max_s=600)
SECRET = [{"title": "INTERNAL ONLY: layoffs list", "link": "http://intranet.test/x", "body": "do not publish",
           "date": "Fri, 01 Mar 2024 09:30:00 GMT"}]


def test_a_feed_redirecting_to_loopback_is_refused_without_the_allow_list(store, http_server, monkeypatch):
    internal = http_server.route("/internal", body=rss(SECRET).encode())
    first = http_server.route("/feed", status=302, headers={"Location": internal})
    # the public-looking first hop is "localhost" by name; the redirect goes to 127.0.0.1, which is not allowed
    monkeypatch.setenv("VERTICALS_OUTBOUND_ALLOW", "localhost")
    ingest.add_source(store, "news", "rss", first.replace("127.0.0.1", "localhost"), now=T0)
    rep = ingest.fetch_source(store, "news", T0, FAST)
    assert rep.added == 0 and "Refused to connect to '127.0.0.1'" in rep.error
    assert not any(r["path"] == "/internal" for r in http_server.requests)
    src = ingest.get_source(store, "news")
    assert src.failures == 1 and "outbound_allow" in src.last_error
    assert src.next_fetch_at == T0 + timedelta(seconds=60)  # backed off
    monkeypatch.setenv("VERTICALS_OUTBOUND_ALLOW", "localhost,127.0.0.1")  # an operator trusts it
    assert ingest.fetch_source(store, "news", T0 + timedelta(minutes=2), FAST).added == 1


def test_loopback_feed_without_any_allow_list_is_refused(store, http_server, monkeypatch):
    url = http_server.route("/feed", body=rss(SECRET).encode())
    monkeypatch.delenv("VERTICALS_OUTBOUND_ALLOW")
    ingest.add_source(store, "news", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "news", T0, FAST)
    assert rep.added == 0 and "Refused" in rep.error and http_server.requests == []


def test_size_cap_and_item_cap_are_recorded_on_the_source(store, http_server):
    items = [{"title": f"Item {i}", "link": f"http://news.test/{i}", "body": "x", "date": "Fri, 01 Mar 2024 09:30:00 GMT"}
             for i in range(5)]
    url = http_server.route("/feed", body=rss(items).encode())
    ingest.add_source(store, "news", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "news", T0, FetchSettings(timeout_s=5, max_items=2))
    assert rep.added == 2 and "kept the first 2 (item cap)" in ingest.get_source(store, "news").last_error
    ingest.add_source(store, "huge", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "huge", T0, FetchSettings(timeout_s=5, max_bytes=100))
    assert rep.added == 0 and "size cap" in ingest.get_source(store, "huge").last_error


def test_one_bad_source_fails_alone_and_its_reason_is_shown(store, http_server, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive")
    ingest.add_source(store, "notes", "replay", str(notes), now=T0)  # added first: fetched first
    ingest.add_source(store, "news", "rss", http_server.route("/feed", body=rss(SECRET).encode()), now=T0)
    reports = {r.source: r for r in ingest.fetch_due(store, T0, FAST)}
    assert reports["news"].added == 1 and reports["news"].error is None
    assert reports["notes"].error and "notes.txt" in reports["notes"].error
    bad = ingest.get_source(store, "notes")
    assert bad.failures == 1 and bad.next_fetch_at > T0 and "notes.txt" in bad.last_error
    from finance_monitor.cli import app

    out = CliRunner().invoke(app, ["status", "--db", store.url])
    assert out.exit_code == 0, out.output
    line = next(ln for ln in out.output.splitlines() if "source notes" in ln)
    assert "last error" in line and "notes.txt" in line
