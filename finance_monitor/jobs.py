"""Module-level job callables the scheduler runs ("finance_monitor.jobs:fetch" etc.).

The scheduler refers to them by name, so the callables find their Monitor here: the running
scheduler binds one; a job run without a bound monitor builds one from the default settings.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from finance_monitor.monitor import Monitor

log = logging.getLogger(__name__)

_monitor: Monitor | None = None
_lock_heartbeat = None  # set by the scheduler: a callable(now) -> bool
_on_lost = None  # set by the scheduler: called once the lock is lost
_guard = threading.Lock()  # the pipeline steps share caches; run them one at a time


def bind(monitor: Monitor | None, heartbeat=None, on_lost=None) -> None:
    global _monitor, _lock_heartbeat, _on_lost
    _monitor, _lock_heartbeat, _on_lost = monitor, heartbeat, on_lost


def _get() -> Monitor:
    global _monitor
    if _monitor is None:
        _monitor = Monitor()
    return _monitor


def _now() -> datetime:
    return datetime.now(timezone.utc)


def fetch() -> None:
    with _guard:
        for rep in _get().fetch(_now()):
            log.info("fetched %s: %d new of %d%s", rep.source, rep.added, rep.fetched,
                     f" (error: {rep.error})" if rep.error else "")


def score() -> None:
    with _guard:
        log.info("scored %s", _get().score(_now()))


def aggregate() -> None:
    with _guard:
        _get().aggregate(_now())


def evaluate() -> None:
    with _guard:
        m, now = _get(), _now()
        changes = m.evaluate(now)
        opened = sum(len(c.opened) for c in changes.values())
        delivery = m.deliver(now)
        log.info("rules evaluated: %d new alerts; notifications sent %d, failed %d, pending %d",
                 opened, delivery.sent, delivery.failed, delivery.pending)


def heartbeat() -> None:
    if _lock_heartbeat is not None and not _lock_heartbeat(_now()):
        log.error("scheduler lock lost to another process; this scheduler stops")
        if _on_lost is not None:
            _on_lost()
