"""A pipeline process for the crash test: replays an archive day by day, optionally SIGKILLing itself
in the middle of the N-th item-insert transaction (before it commits).

python -m tests.finance_monitor.replay_worker DB_URL ARCHIVE HOOK_URL START END KILL_AT_INSERT
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import timedelta

from sqlalchemy import event


def main(db_url: str, archive: str, hook: str, start: str, end: str, kill_at: int) -> None:
    from finance_monitor import ingest, rule_store, sinks
    from finance_monitor.monitor import Monitor
    from finance_monitor.sources.base import to_utc
    from finance_monitor.store import Store
    from shared.datasets import load_financial_phrasebank
    from tests.finance_monitor.helpers import tfidf_scorers

    store = Store(db_url)
    t0 = to_utc(start)
    if not sinks.configured_sinks(store):
        sinks.add_sink(store, "hook", "webhook", {"url": hook, "timeout_s": 5})
        rule_store.save_rule(store, _rule(), t0)
        ingest.add_source(store, "archive", "replay", archive, now=t0)
    inserts = 0

    def maybe_die(conn, cursor, statement, *args) -> None:
        nonlocal inserts
        if statement.startswith("INSERT") and "fm_items" in statement:
            inserts += 1
            if inserts == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction: nothing of this fetch is committed

    if kill_at > 0:
        event.listen(store.engine, "before_cursor_execute", maybe_die)
    Monitor(store, scorers=tfidf_scorers(load_financial_phrasebank())).backfill(
        "archive", t0, to_utc(end), timedelta(days=1))
    print("finished")


def _rule():
    from finance_monitor.rules import Rule

    return Rule(name="neg-all", kind="negative_share", subject_type="all", window=7, min_baseline=5, k=2,
                min_volume=5, min_delta=0.1, severity="critical", repeat_interval_s=10 * 86400)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
