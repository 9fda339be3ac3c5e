"""Feeds against a real local HTTP server; watched folders and replays on real files."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from finance_monitor import ingest
from finance_monitor.errors import FetchError, SourceConfigError
from finance_monitor.settings import FetchSettings
from finance_monitor.sources.rss import parse_feed
from finance_monitor.store import ItemRow, SourceRow
from tests.finance_monitor.conftest import T0
from tests.finance_monitor.helpers import rss

FAST = FetchSettings(timeout_s=1.0, backoff_base_s=60, backoff_max_s=600)
ITEMS = [
    {"title": "Acme profits jump 40%", "link": "http://news.test/a?utm_source=feed", "body": "Strong quarter.",
     "date": "Fri, 01 Mar 2024 09:30:00 +0100"},
    {"title": "Globex shares slump on probe", "link": "http://news.test/b", "body": "Regulator opens probe.",
     "date": "Fri, 01 Mar 2024 10:00:00 GMT"},
]


def n_items(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(ItemRow.id)))


def source(store, name: str) -> SourceRow:
    return ingest.get_source(store, name)


def test_feed_items_are_stored_once_with_utc_dates(store, http_server):
    url = http_server.route("/feed", body=rss(ITEMS).encode(), headers={"Content-Type": "application/rss+xml"})
    ingest.add_source(store, "news", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "news", T0, FAST)
    assert (rep.fetched, rep.added, rep.error) == (2, 2, None)
    with store.session() as s:
        rows = s.scalars(select(ItemRow).order_by(ItemRow.id)).all()
        assert rows[0].url == "http://news.test/a"  # tracking parameter dropped
        assert rows[0].published_at.isoformat() == "2024-03-01T08:30:00+00:00"  # +0100 normalised to UTC
        assert rows[1].published_at.isoformat() == "2024-03-01T10:00:00+00:00"
        assert rows[0].fetched_at == T0
    again = ingest.fetch_source(store, "news", T0 + timedelta(minutes=5), FAST)
    assert (again.fetched, again.added) == (2, 0)
    assert n_items(store) == 2 and source(store, "news").items_total == 2


def test_same_story_under_other_url_or_spacing_is_a_duplicate(store, http_server):
    dupes = ITEMS + [
        {"title": "ACME profits  jump 40%", "link": "http://mirror.test/x", "body": "Strong   quarter."},  # same text
        {"title": "Different headline", "link": "http://NEWS.test/b/#comments", "body": "x"},  # same canonical URL
    ]
    url = http_server.route("/feed", body=rss(dupes).encode())
    ingest.add_source(store, "news", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "news", T0, FAST)
    assert rep.added == 2 and n_items(store) == 2


def test_etag_and_last_modified_are_sent_back_and_304_adds_nothing(store, http_server):
    def handler(req):
        if req["headers"].get("If-None-Match") == '"v1"':
            return 304, b"", {}
        return 200, rss(ITEMS).encode(), {"ETag": '"v1"', "Last-Modified": "Fri, 01 Mar 2024 10:00:00 GMT"}

    url = http_server.route("/feed", handler=handler)
    ingest.add_source(store, "news", "rss", url, now=T0)
    assert ingest.fetch_source(store, "news", T0, FAST).added == 2
    rep = ingest.fetch_source(store, "news", T0 + timedelta(minutes=5), FAST)
    assert rep.not_modified and rep.added == 0
    second = http_server.requests[-1]["headers"]
    assert second["If-None-Match"] == '"v1"'
    assert second["If-Modified-Since"] == "Fri, 01 Mar 2024 10:00:00 GMT"


def test_items_without_dates_get_the_fetch_time_and_are_flagged(store, http_server):
    url = http_server.route("/feed", body=rss([{"title": "Undated market note", "link": "http://n.test/u"}]).encode())
    ingest.add_source(store, "news", "rss", url, now=T0)
    ingest.fetch_source(store, "news", T0, FAST)
    with store.session() as s:
        row = s.scalar(select(ItemRow))
        assert row.date_missing is True and row.published_at == T0


def test_non_utf8_bytes_do_not_lose_the_feed(store, http_server):
    latin = rss([{"title": "Société Générale gains", "link": "http://n.test/sg", "date": "Fri, 01 Mar 2024 10:00:00 GMT"}],
                enc="iso-8859-1").encode("latin-1")
    lying = rss([{"title": "Nestlé falls", "link": "http://n.test/n"}]).encode("utf-8").replace(
        "Nestlé".encode(), b"Nestl\xe9")  # declared UTF-8, one Latin-1 byte
    u1 = http_server.route("/latin", body=latin)
    u2 = http_server.route("/lying", body=lying)
    ingest.add_source(store, "latin", "rss", u1, now=T0)
    ingest.add_source(store, "lying", "rss", u2, now=T0)
    assert ingest.fetch_source(store, "latin", T0, FAST).added == 1
    assert ingest.fetch_source(store, "lying", T0, FAST).added == 1
    with store.session() as s:
        titles = sorted(s.scalars(select(ItemRow.title)))
    assert titles[1] == "Société Générale gains"
    assert titles[0].startswith("Nestl") and titles[0].endswith("falls")


def test_malformed_feed_is_an_error_and_the_source_backs_off(store, http_server):
    url = http_server.route("/feed", body=b"<html><body>Service page, not a feed</body>")
    ingest.add_source(store, "bad", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "bad", T0, FAST)
    assert rep.error and "not a readable RSS/Atom" in rep.error
    src = source(store, "bad")
    assert src.failures == 1 and src.next_fetch_at == T0 + timedelta(seconds=60)
    assert ingest.due_sources(store, T0 + timedelta(seconds=30)) == []
    assert ingest.due_sources(store, T0 + timedelta(seconds=61)) == ["bad"]
    with pytest.raises(FetchError):
        parse_feed(b"\x00\x01 garbage")


def test_http_500_backs_off_exponentially_then_recovers(store, http_server):
    url = http_server.route("/feed", status=500, body=b"oops")
    ingest.add_source(store, "flaky", "rss", url, now=T0)
    now = T0
    delays = []
    for _ in range(5):
        rep = ingest.fetch_source(store, "flaky", now, FAST)
        assert "HTTP 500" in rep.error
        nxt = source(store, "flaky").next_fetch_at
        delays.append((nxt - now).total_seconds())
        now = nxt
    assert delays == [60, 120, 240, 480, 600]  # doubling, capped at backoff_max_s
    http_server.route("/feed", body=rss(ITEMS).encode())
    rep = ingest.fetch_source(store, "flaky", now, FAST)
    assert rep.error is None and rep.added == 2
    src = source(store, "flaky")
    assert src.failures == 0 and src.last_error is None and src.last_ok_at == now


def test_a_hanging_feed_times_out(store, http_server):
    url = http_server.route("/feed", body=rss(ITEMS).encode(), delay_s=3.0)
    ingest.add_source(store, "slow", "rss", url, now=T0)
    rep = ingest.fetch_source(store, "slow", T0, FetchSettings(timeout_s=0.5, backoff_base_s=10, backoff_max_s=10))
    assert "timed out" in rep.error
    assert source(store, "slow").failures == 1 and n_items(store) == 0


def test_source_config_errors_are_clear(store):
    with pytest.raises(SourceConfigError, match="unknown source kind 'ftp'"):
        ingest.add_source(store, "x", "ftp", "ftp://x", now=T0)
    with pytest.raises(SourceConfigError, match="http"):
        ingest.add_source(store, "x", "rss", "/not/a/url", now=T0)
    ingest.add_source(store, "x", "folder", "/tmp", now=T0)
    with pytest.raises(SourceConfigError, match="already exists"):
        ingest.add_source(store, "x", "folder", "/tmp", now=T0)


def test_paused_sources_are_not_due_and_removal_keeps_items(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"title": "Item one"}) + "\n")
    ingest.add_source(store, "drop", "folder", str(folder), now=T0)
    ingest.set_paused(store, "drop", True)
    assert ingest.fetch_due(store, T0) == []
    ingest.set_paused(store, "drop", False)
    assert [r.added for r in ingest.fetch_due(store, T0)] == [1]
    ingest.remove_source(store, "drop")
    assert n_items(store) == 1


def test_watched_folder_reads_new_files_once_and_reports_broken_ones(store, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        json.dumps({"title": "Bank raises rates", "published_at": "2024-03-01T08:00:00-05:00", "url": "http://x/1"})
        + "\n\n" + json.dumps({"headline": "Oil slides", "date": "2024-03-01"}) + "\n", encoding="utf-8")
    (folder / "b.csv").write_text("title,body,published\nMiner cuts output,Weak demand,2024-03-01 09:00\n")
    (folder / "c.jsonl").write_text('{"title": "ok"}\n{"title": broken\n')
    (folder / "notes.txt").write_text("ignored")
    ingest.add_source(store, "drop", "folder", str(folder), now=T0)
    rep = ingest.fetch_source(store, "drop", T0, FAST)
    assert rep.added == 3 and len(rep.problems) == 1 and "c.jsonl line 2: not valid JSON" in rep.problems[0]
    assert "c.jsonl line 2" in source(store, "drop").last_error
    with store.session() as s:
        row = s.scalar(select(ItemRow).where(ItemRow.title == "Bank raises rates"))
        assert row.published_at.isoformat() == "2024-03-01T13:00:00+00:00"
    assert ingest.fetch_source(store, "drop", T0, FAST).added == 0  # unchanged files are skipped
    (folder / "c.jsonl").write_text('{"title": "ok"}\n{"title": "fixed now"}\n')  # the user fixes the file
    assert ingest.fetch_source(store, "drop", T0, FAST).added == 2
    (folder / "d.csv").write_bytes("title\nCaf\xe9 chain\n".encode("latin-1"))
    rep = ingest.fetch_source(store, "drop", T0, FAST)
    assert rep.added == 0 and "d.csv: not UTF-8" in rep.problems[0]


def test_replay_plays_the_archive_up_to_the_clock(store, tmp_path):
    archive = tmp_path / "archive.csv"
    archive.write_text("date,headline\n2020-01-01,A\n2020-01-01,B\n2020-01-02,C\n2020-01-05,D\n")
    ingest.add_source(store, "replay", "replay", str(archive), now=T0)
    from datetime import datetime, timezone

    day = lambda d: datetime(2020, 1, d, tzinfo=timezone.utc)
    assert ingest.fetch_source(store, "replay", day(1), FAST).added == 2
    assert ingest.fetch_source(store, "replay", day(1), FAST).added == 0
    assert ingest.fetch_source(store, "replay", day(4), FAST).added == 1
    assert ingest.fetch_source(store, "replay", day(9), FAST).added == 1
    assert source(store, "replay").state["cursor"] == 4


def test_replay_with_speed_runs_on_wall_time(store, tmp_path):
    archive = tmp_path / "archive.jsonl"
    archive.write_text("\n".join(json.dumps({"title": t, "published_at": f"2020-01-0{d}"})
                                 for t, d in [("A", 1), ("B", 2), ("C", 3)]))
    ingest.add_source(store, "live", "replay", str(archive), options={"speed": 86400}, now=T0)
    assert ingest.fetch_source(store, "live", T0, FAST).added == 1  # clock at the archive start
    assert ingest.fetch_source(store, "live", T0 + timedelta(seconds=1), FAST).added == 1  # one archive day later
    assert ingest.fetch_source(store, "live", T0 + timedelta(seconds=10), FAST).added == 1
