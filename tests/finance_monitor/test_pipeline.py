"""The whole pipeline on a dated archive, and a process killed in the middle of an ingestion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from finance_monitor import queries
from finance_monitor.store import AlertRow, ItemRow, NotificationRow, Store
from shared.paths import PROJECT_ROOT

DAYS = 16
SURGE_DAY = 12  # 2020-01-12: a day of negative news after eleven calm ones


def build_archive(fpb: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Ten real FPB sentences a day: positive/neutral ones, then a day of negative ones."""
    calm = fpb[fpb["label"] != "negative"].sample(10 * DAYS, random_state=1)["text"].tolist()
    bad = fpb[fpb["label"] == "negative"].sample(10, random_state=1)["text"].tolist()
    rows = []
    for d in range(1, DAYS + 1):
        texts = bad if d == SURGE_DAY else calm[(d - 1) * 10: d * 10]
        rows += [{"date": f"2020-01-{d:02d}T{9 + i % 8:02d}:00:00Z", "title": t} for i, t in enumerate(texts)]
    df = pd.DataFrame(rows)
    df.to_csv(path, index=False)
    return df


def run_worker(db: str, archive: Path, hook: str, kill_at: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "tests.finance_monitor.replay_worker", db, str(archive), hook,
                           "2020-01-01", f"2020-01-{DAYS + 1:02d}", str(kill_at)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_kill_mid_ingestion_then_restart_loses_nothing_and_sends_nothing_twice(fpb, tmp_path, http_server):
    kill_mid_ingestion_then_restart(f"sqlite:///{tmp_path / 'crash.db'}", fpb, tmp_path, http_server)


def kill_mid_ingestion_then_restart(db: str, fpb, tmp_path, http_server) -> None:
    """Also run on PostgreSQL by tests/finance_monitor/test_postgres.py."""
    archive = build_archive(fpb, tmp_path / "archive.csv")
    hook = http_server.route("/hook", body=b"ok")
    # Day d's items arrive at the step of day d+1, so the 14th item insert is day 14's, at 2020-01-15.
    crashed = run_worker(db, archive=tmp_path / "archive.csv", hook=hook, kill_at=14)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    store = Store(db)
    with store.session() as s:
        before = s.scalar(select(func.count(ItemRow.id)))
        fired_before = s.scalars(select(AlertRow.first_fired_at)).all()
    assert before == 13 * 10  # days 1..13 committed, day 14's transaction rolled back whole
    assert [t.date().isoformat() for t in fired_before] == ["2020-01-13"]  # surge of the 12th, judged at 13th 00:00
    # Fired at 01-13 (the 12th judged), resolved at 01-14 (the calm 13th judged): both delivered before the kill.
    assert [p["alert"]["event"] for p in http_server.posts("/hook")] == ["firing", "resolved"]

    done = run_worker(db, archive=tmp_path / "archive.csv", hook=hook, kill_at=0)  # restart from the top
    assert done.returncode == 0 and "finished" in done.stdout, done.stderr[-2000:]
    with store.session() as s:
        assert s.scalar(select(func.count(ItemRow.id))) == len(archive)
        assert s.scalar(select(func.count(func.distinct(ItemRow.content_hash)))) == len(archive)
        firing = s.execute(select(NotificationRow.alert_id, NotificationRow.status)
                           .where(NotificationRow.event == "firing")).all()
        n_alerts = s.scalar(select(func.count(AlertRow.id)))
    assert n_alerts == 1 and [(a, st) for a, st in firing] == [(1, "sent")]
    posts = http_server.posts("/hook")
    assert [p["alert"]["event"] for p in posts] == ["firing", "resolved"]  # the restart re-sent nothing
    firing_posts = [p["alert"] for p in posts if p["alert"]["event"] == "firing"]
    assert len(firing_posts) == 1 and firing_posts[0]["subject"] == "all"
    assert len({p["alert"]["notification_id"] for p in posts}) == len(posts)  # no notification delivered twice
    items = queries.alert_items(store, 1)
    assert len(items) == 10 and (items["sentiment_label"] == "negative").mean() >= 0.8
