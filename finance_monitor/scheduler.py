"""The daemon: APScheduler 3.x with an in-memory job store, guarded by a store lock.

Jobs are fixed module-level functions with fixed ids, rebuilt at start-up in a `MemoryJobStore` from our
own table of schedule state (`fm_schedule`: next run, last run, last error), which every run updates.
Nothing is pickled into the database (APScheduler's SQLAlchemyJobStore pickled whole jobs, and anyone who
can write the database could have made the scheduler run their code). Jobs run at most one instance each,
coalesce missed runs into one and tolerate `misfire_grace_s` of lateness; one worker thread runs them.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from finance_monitor import jobs
from finance_monitor.locking import StoreLock
from finance_monitor.monitor import Monitor
from finance_monitor.settings import MonitorSettings
from finance_monitor.store import ScheduleRow, Store

log = logging.getLogger(__name__)

JOB_TABLE = ScheduleRow.__tablename__
LEGACY_JOB_TABLE = "fm_apscheduler_jobs"  # pickled jobs of the old SQLAlchemyJobStore: dropped, never read


def job_specs(settings: MonitorSettings) -> list[tuple[str, str, int]]:
    sch = settings.schedule
    return [
        ("fetch", "finance_monitor.jobs:fetch", sch.fetch_every_s),
        ("score", "finance_monitor.jobs:score", sch.score_every_s),
        ("aggregate", "finance_monitor.jobs:aggregate", sch.aggregate_every_s),
        ("evaluate", "finance_monitor.jobs:evaluate", sch.evaluate_every_s),
        ("heartbeat", "finance_monitor.jobs:heartbeat", max(5, sch.lock_ttl_s // 3)),
    ]


def schedule_state(store: Store) -> dict[str, ScheduleRow]:
    with store.session() as s:
        return {r.job_id: r for r in s.query(ScheduleRow).all()}


def first_run(job_id: str, every_s: int, state: ScheduleRow | None, now: datetime) -> datetime:
    """When a job next runs after a (re)start: its stored next run if still ahead (and not further than one
    interval, in case the interval shrank), else now. The heartbeat waits one interval: acquire just beat."""
    if job_id == "heartbeat":
        return now + timedelta(seconds=every_s)
    stored = state.next_run_at if state is not None else None
    if stored is None or stored <= now:
        return now
    return min(stored, now + timedelta(seconds=every_s))


def next_after(scheduled: datetime, every_s: int, now: datetime) -> datetime:
    """The first interval tick after `now` (missed ticks are coalesced into one run)."""
    if every_s <= 0:
        return now
    missed = max(0, int((now - scheduled).total_seconds() // every_s))
    return scheduled + timedelta(seconds=every_s * (missed + 1))


def record_run(store: Store, job_id: str, every_s: int, *, ran_at: datetime | None, next_run_at: datetime | None,
               error: str | None = None) -> None:
    with store.session() as s:
        row = s.get(ScheduleRow, job_id) or ScheduleRow(job_id=job_id, interval_s=every_s)
        row.interval_s, row.next_run_at = every_s, next_run_at
        if ran_at is not None:
            row.last_run_at, row.last_error = ran_at, error
        s.merge(row)


def drop_legacy_job_table(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {LEGACY_JOB_TABLE}"))


def build_scheduler(settings: MonitorSettings, store: Store, *, background: bool = False,
                    now: datetime | None = None) -> Any:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    now = now or datetime.now(timezone.utc)
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},  # heartbeat must not wait behind a long job
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.schedule.misfire_grace_s},
        timezone=timezone.utc,
    )
    state = schedule_state(store)
    every = {}
    for job_id, func, every_s in job_specs(settings):
        every[job_id] = every_s
        start = first_run(job_id, every_s, state.get(job_id), now)
        scheduler.add_job(func, "interval", seconds=every_s, id=job_id, replace_existing=True, next_run_time=start)
        record_run(store, job_id, every_s, ran_at=None, next_run_at=start)

    def on_event(event: Any) -> None:
        # Runs in a job thread: asking the scheduler (get_job) here deadlocks against its own job loop,
        # so the next run is worked out from the interval, as the interval trigger does.
        error = None if event.code != EVENT_JOB_ERROR else f"{type(event.exception).__name__}: {event.exception}"
        every_s = every.get(event.job_id, 0)
        try:
            record_run(store, event.job_id, every_s,
                       ran_at=event.scheduled_run_time if event.code != EVENT_JOB_MISSED else None,
                       next_run_at=next_after(event.scheduled_run_time, every_s, datetime.now(timezone.utc)),
                       error=error)
        except Exception as exc:  # noqa: BLE001 - bookkeeping must never stop the scheduler
            log.warning("could not record the schedule state of %s: %s", event.job_id, exc)

    scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


class MonitorDaemon:
    """Lock → bind monitor → start scheduler; `stop()` releases everything (also on SIGTERM)."""

    def __init__(self, settings: MonitorSettings | None = None, monitor: Monitor | None = None) -> None:
        self.settings = settings or MonitorSettings()
        self.monitor = monitor or Monitor(settings=self.settings)
        self.lock = StoreLock(self.monitor.store, ttl_s=self.settings.schedule.lock_ttl_s)
        self.scheduler: Any = None

    def start(self, *, background: bool = False) -> None:
        now = datetime.now(timezone.utc)
        self.lock.acquire(now)  # raises SchedulerLockedError: nothing started
        drop_legacy_job_table(self.monitor.store)
        jobs.bind(self.monitor, self.lock.heartbeat, self._lost)
        self.scheduler = build_scheduler(self.settings, self.monitor.store, background=background, now=now)
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
