"""The monitor on PostgreSQL: one scheduler among two `verticals monitor run`, and a SIGKILL mid-ingest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy.engine import make_url

from finance_monitor.locking import StoreLock
from finance_monitor.scheduler import JOB_TABLE
from finance_monitor.store import Store
from shared.paths import PROJECT_ROOT
from tests.finance_monitor.test_pipeline import kill_mid_ingestion_then_restart


def _monitor_run(url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VERTICALS_MONITOR_DB": url}
    return subprocess.Popen([sys.executable, "-m", "shared.cli.main", "monitor", "run"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_monitor_run_processes_exactly_one_schedules(pg_url):
    # Trust authentication ignores the password: it is there to prove no output ever shows it.
    url = make_url(pg_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    store = Store(url)
    first = _monitor_run(url)
    try:
        deadline = time.monotonic() + 180
        while (held := StoreLock(store).held_by()) is None:
            assert first.poll() is None, first.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "the first scheduler never took the lease"
            time.sleep(0.5)
        assert held[0].startswith(f"{socket.gethostname()}:{first.pid}:")
        second = _monitor_run(url)
        out, _ = second.communicate(timeout=180)
        assert second.returncode != 0
        assert f"another scheduler ({held[0]}) already runs against postgresql+psycopg://postgres:***@" in out
        assert "s3cret-pw" not in out
        with store.engine.connect() as conn:  # the first one's jobs, once each
            ids = conn.exec_driver_sql(f"SELECT id FROM {JOB_TABLE} ORDER BY id").scalars().all()
        assert ids == ["aggregate", "evaluate", "fetch", "heartbeat", "score"]
        assert StoreLock(store).held_by()[0] == held[0]  # the refused one took nothing
    finally:
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=120)
    assert "s3cret-pw" not in out and "postgresql+psycopg://postgres:***@" in out
    assert StoreLock(store).held_by() is None  # released on SIGTERM
    store.dispose()


@pytest.mark.slow
def test_kill_mid_ingestion_on_postgres_loses_and_duplicates_nothing(pg_url, fpb, tmp_path, http_server):
    kill_mid_ingestion_then_restart(pg_url, fpb, tmp_path, http_server)
