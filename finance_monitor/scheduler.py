"""The daemon: APScheduler 3.x with a persistent SQLAlchemy job store, guarded by a store lock.

Jobs are referenced by module path, have fixed ids (`replace_existing=True`, so restarts do not
duplicate them), run at most one instance each, coalesce missed runs into one and tolerate
`misfire_grace_s` of lateness. One worker thread runs them: the steps share one SQLite writer.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timezone
from typing import Any

from finance_monitor import jobs
from finance_monitor.locking import StoreLock
from finance_monitor.monitor import Monitor
from finance_monitor.settings import MonitorSettings
from shared.db.engine import make_engine

log = logging.getLogger(__name__)

JOB_TABLE = "fm_apscheduler_jobs"


def job_specs(settings: MonitorSettings) -> list[tuple[str, str, int]]:
    sch = settings.schedule
    return [
        ("fetch", "finance_monitor.jobs:fetch", sch.fetch_every_s),
        ("score", "finance_monitor.jobs:score", sch.score_every_s),
        ("aggregate", "finance_monitor.jobs:aggregate", sch.aggregate_every_s),
        ("evaluate", "finance_monitor.jobs:evaluate", sch.evaluate_every_s),
        ("heartbeat", "finance_monitor.jobs:heartbeat", max(5, sch.lock_ttl_s // 3)),
    ]


def build_scheduler(settings: MonitorSettings, *, background: bool = False) -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(
        # The job store shares the facility's engine settings (busy timeout, pool, UTC sessions).
        jobstores={"default": SQLAlchemyJobStore(engine=make_engine(settings.db_url), tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(max_workers=2)},  # heartbeat must not wait behind a long job
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.schedule.misfire_grace_s},
        timezone=timezone.utc,
    )
    for job_id, func, every in job_specs(settings):
        scheduler.add_job(func, "interval", seconds=every, id=job_id, replace_existing=True,
                          next_run_time=datetime.now(timezone.utc) if job_id != "heartbeat" else None)
    return scheduler


class MonitorDaemon:
    """Lock → bind monitor → start scheduler; `stop()` releases everything (also on SIGTERM)."""

    def __init__(self, settings: MonitorSettings | None = None, monitor: Monitor | None = None) -> None:
        self.settings = settings or MonitorSettings()
        self.monitor = monitor or Monitor(settings=self.settings)
        self.lock = StoreLock(self.monitor.store, ttl_s=self.settings.schedule.lock_ttl_s)
        self.scheduler: Any = None

    def start(self, *, background: bool = False) -> None:
        self.lock.acquire(datetime.now(timezone.utc))  # raises SchedulerLockedError: nothing started
        jobs.bind(self.monitor, self.lock.heartbeat, self._lost)
        self.scheduler = build_scheduler(self.settings, background=background)
        if not background:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        try:
            self.scheduler.start()  # blocks when not in the background
        finally:
            if not background:
                self._release()

    def _lost(self) -> None:
        # Called from a job thread: shut down without waiting for ourselves; never release a lock we lost.
        import threading

        threading.Thread(target=lambda: self.scheduler.shutdown(wait=False), daemon=True).start()

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._release()

    def _release(self) -> None:
        jobs.bind(None)
        self.lock.release()
