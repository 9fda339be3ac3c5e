"""The scheduler: persistent job store settings, and the store lock that keeps a second one out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from finance_monitor.errors import SchedulerLockedError
from finance_monitor.locking import StoreLock
from finance_monitor.monitor import Monitor
from finance_monitor.scheduler import JOB_TABLE, MonitorDaemon
from finance_monitor.settings import MonitorSettings, ScheduleSettings
from finance_monitor.store import Store
from shared.paths import PROJECT_ROOT
from tests.finance_monitor.conftest import T0


@pytest.fixture
def store(db_url):
    """The lease and the job store on both back-ends: a SQLite file and a fresh PostgreSQL database."""
    s = Store(db_url)
    yield s
    s.dispose()


def test_lock_excludes_a_second_holder_until_stale(store):
    a, b = StoreLock(store, ttl_s=90, holder="host:1:a"), StoreLock(store, ttl_s=90, holder="host:2:b")
    a.acquire(T0)
    with pytest.raises(SchedulerLockedError, match="another scheduler \\(host:1:a\\) already runs"):
        b.acquire(T0 + timedelta(seconds=30))
    assert a.heartbeat(T0 + timedelta(seconds=60))
    with pytest.raises(SchedulerLockedError):
        b.acquire(T0 + timedelta(seconds=120))  # a's heartbeat at +60 s is still fresh
    b.acquire(T0 + timedelta(seconds=151))  # a stalled past the TTL: b takes over
    assert not a.heartbeat(T0 + timedelta(seconds=152))  # a learns it lost the lock
    a.release()  # releasing a lock one does not hold is a no-op
    assert b.held_by()[0] == "host:2:b"
    b.release()
    assert b.held_by() is None


def test_daemon_registers_persistent_jobs_and_a_second_daemon_refuses(store, tfidf_scorers):
    settings = MonitorSettings(db_url=store.url, schedule=ScheduleSettings(
        fetch_every_s=3600, score_every_s=3600, aggregate_every_s=3600, evaluate_every_s=3600, lock_ttl_s=60))
    first = MonitorDaemon(settings, Monitor(store, settings, scorers=tfidf_scorers))
    first.start(background=True)
    try:
        jobs = {j.id: j for j in first.scheduler.get_jobs()}
        assert set(jobs) == {"fetch", "score", "aggregate", "evaluate", "heartbeat"}
        assert all(j.max_instances == 1 and j.coalesce and j.misfire_grace_time == 120 for j in jobs.values())
        assert jobs["fetch"].func_ref == "finance_monitor.jobs:fetch"
        with store.engine.connect() as conn:  # the jobs live in the database, not in memory
            from sqlalchemy import text

            assert conn.execute(text(f"SELECT count(*) FROM {JOB_TABLE}")).scalar() == 5
        second = MonitorDaemon(settings, Monitor(store, settings, scorers=tfidf_scorers))
        with pytest.raises(SchedulerLockedError, match="already runs"):
            second.start(background=True)
        assert second.scheduler is None  # nothing was started
    finally:
        first.stop()
    assert StoreLock(store).held_by() is None
    again = MonitorDaemon(settings, Monitor(store, settings, scorers=tfidf_scorers))
    again.start(background=True)  # restart: same fixed job ids, no duplicates
    try:
        assert len(again.scheduler.get_jobs()) == 5
    finally:
        again.stop()


def test_cli_run_says_another_scheduler_runs_and_exits(store):
    StoreLock(store, ttl_s=3600, holder="other-host:42:x").acquire(T0.now(T0.tzinfo))
    env = {**os.environ, "VERTICALS_MONITOR_DB": store.url}
    proc = subprocess.run([sys.executable, "-m", "shared.cli.main", "monitor", "run"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0
    assert "another scheduler (other-host:42:x) already runs" in proc.stderr + proc.stdout
