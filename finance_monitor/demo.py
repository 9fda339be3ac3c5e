"""Demo state: the Guardian's 4,080 dated business headlines of January–July 2020, replayed day by day
through the whole pipeline (ingest → sentiment/topic/user-topic/entity scoring → trends → rules →
alerts), so the dashboard shows what a risk team would have seen in February–March 2020.

`prepare()` is idempotent: registered models are reused, and a finished replay is not repeated.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from finance_monitor import ingest, rule_store, scoring, sinks
from finance_monitor.monitor import Monitor
from finance_monitor.store import MetaRow, SourceRow, Store

SOURCE = "guardian-2020"
START = datetime(2020, 1, 1, tzinfo=timezone.utc)
END = datetime(2020, 7, 19, tzinfo=timezone.utc)
DONE_KEY = "demo-replay-done"
log = logging.getLogger(__name__)

WATCHLIST: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("BP", "BP", ()), ("Royal Dutch Shell", "RDSA", ("Shell",)), ("HSBC", "HSBA", ()),
    ("Barclays", "BARC", ()), ("Lloyds", "LLOY", ("Lloyds Banking Group",)), ("Tesco", "TSCO", ()),
    ("Sainsbury's", "SBRY", ("Sainsbury",)), ("easyJet", "EZJ", ()), ("Ryanair", "RYA", ()),
    ("British Airways", None, ("BA",)), ("IAG", "IAG", ()), ("Virgin Atlantic", None, ()),
    ("Flybe", None, ()), ("Rolls-Royce", "RR", ()), ("Boeing", "BA.N", ()), ("Airbus", "AIR", ()),
    ("Tesla", "TSLA", ()), ("Apple", "AAPL", ()), ("Amazon", "AMZN", ()), ("Wirecard", "WDI", ()),
    ("Debenhams", None, ()), ("Aston Martin", "AML", ()), ("Carnival", "CCL", ()), ("Uber", "UBER", ()),
)

USER_TOPICS: dict[str, list[str]] = {
    "pandemic": ["Coronavirus outbreak spreads and hits the economy", "Covid-19 lockdown shuts shops and factories",
                 "Virus fears grip markets as cases rise", "Pandemic forces airlines to ground their fleets"],
    "brexit": ["Brexit trade talks with the EU stall", "No-deal Brexit threatens UK exporters",
               "UK and EU negotiators clash over the transition period"],
    "jobs": ["Company to cut thousands of jobs", "Unemployment rises as firms lay off staff",
             "Furlough scheme supports millions of workers"],
    "energy": ["Oil prices crash as demand collapses", "Opec agrees production cuts",
               "Energy companies write down oil and gas assets"],
}


def configure(store: Store, now: datetime) -> None:
    """Rules, watch list, user topics and the log sink — each only if not there yet."""
    rule_store.ensure_default_rules(store, now)
    have = {w.name for w in scoring.watchlist(store)}
    for name, ticker, aliases in WATCHLIST:
        if name not in have:
            scoring.set_watch(store, name, ticker, aliases)
    topics = scoring.custom_topics(store)
    for name, examples in USER_TOPICS.items():
        if name not in topics:
            scoring.set_custom_topic(store, name, examples)
    if "log" not in sinks.configured_sinks(store):
        sinks.add_sink(store, "log", "log")


def replay(monitor: Monitor, start: datetime = START, end: datetime = END,
           progress_every: timedelta | None = None) -> float:
    """Replay the archive day by day; returns the seconds it took. Resumable after an interruption."""
    store = monitor.store
    with store.session() as s:
        exists = s.scalar(select(SourceRow.id).where(SourceRow.name == SOURCE)) is not None
    if not exists:
        ingest.add_source(store, SOURCE, "replay", "builtin:guardian", interval_s=3600, now=start)
    started = time.perf_counter()

    def progress(now: datetime, _report: object) -> None:
        log.info("replayed to %s", now.date())
        if progress_every and (now - start) % progress_every < timedelta(days=1):
            print(f"  replayed to {now.date()} after {time.perf_counter() - started:.0f} s", flush=True)

    monitor.backfill(SOURCE, start + timedelta(days=1), end, progress=progress)
    ingest.set_paused(store, SOURCE, True)  # the archive is played out; the live scheduler leaves it be
    return time.perf_counter() - started


def prepare(data_dir: Path | None = None, store: Store | None = None, *, method: str | None = None) -> None:
    """Train/load the models through the core, configure the monitor, replay the 2020 headlines once."""
    from finance_monitor.models import ensure_models

    versions = ensure_models(method, data_dir)
    log.info("finance monitor models: %s", versions)
    store = store or Store()
    configure(store, START)
    with store.session() as s:
        if s.get(MetaRow, DONE_KEY) is not None:
            log.info("finance monitor demo already replayed")
            return
    seconds = replay(Monitor(store))
    with store.session() as s:
        s.add(MetaRow(key=DONE_KEY, value=f"{seconds:.1f}"))
    print(f"finance monitor: replayed the Guardian 2020 headlines in {seconds:.0f} s")
