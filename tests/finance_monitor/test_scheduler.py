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
        with store.engine.connect() as conn:  # their schedule state lives in the database
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


class _Planted:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        from pathlib import Path

        return (Path.write_text, (Path(self.path), "ran"))


def test_jobs_are_rebuilt_from_our_schedule_table_and_pickled_jobs_are_never_read(store, tfidf_scorers, tmp_path):
    import pickle
    import time
    from datetime import datetime, timezone

    from finance_monitor.scheduler import LEGACY_JOB_TABLE, schedule_state

    marker = tmp_path / "code-ran"
    from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table

    legacy = Table(LEGACY_JOB_TABLE, MetaData(), Column("id", String(191), primary_key=True),
                   Column("next_run_time", Float), Column("job_state", LargeBinary, nullable=False))
    legacy.create(store.engine)  # what the old SQLAlchemyJobStore left behind, with a planted job
    with store.engine.begin() as conn:
        conn.execute(legacy.insert().values(id="planted", next_run_time=time.time() - 1,
                                            job_state=pickle.dumps(_Planted(str(marker)))))
    settings = MonitorSettings(db_url=store.url, schedule=ScheduleSettings(
        fetch_every_s=3600, score_every_s=3600, aggregate_every_s=3600, evaluate_every_s=3600, lock_ttl_s=60))
    daemon = MonitorDaemon(settings, Monitor(store, settings, scorers=tfidf_scorers))
    daemon.start(background=True)
    try:
        assert type(daemon.scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and schedule_state(store)["fetch"].last_run_at is None:
            time.sleep(0.2)
        fetch = schedule_state(store)["fetch"]
        assert fetch.last_run_at is not None and fetch.last_error is None
        assert fetch.next_run_at > fetch.last_run_at + timedelta(seconds=3500)
    finally:
        daemon.stop()
    assert not marker.exists()
    with store.engine.connect() as conn:
        tables = set(store.engine.dialect.get_table_names(conn))
    assert LEGACY_JOB_TABLE not in tables
    # a restart resumes the stored schedule instead of running everything again at once
    resumed = MonitorDaemon(settings, Monitor(store, settings, scorers=tfidf_scorers))
    resumed.start(background=True)
    try:
        job = resumed.scheduler.get_job("fetch")
        assert abs((job.next_run_time - fetch.next_run_at).total_seconds()) < 1
        assert job.next_run_time > datetime.now(timezone.utc) + timedelta(seconds=3000)
    finally:
        resumed.stop()
