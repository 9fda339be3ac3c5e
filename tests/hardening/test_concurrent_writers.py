"""Two processes writing one SQLite store at once — the monitor's scheduler jobs and the dashboard, the
bot's knowledge-base ingestion and the agents' console — finish without "database is locked" and lose
no write (rows counted afterwards)."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from sqlalchemy import func, select

from tests.hardening import writers


def run_together(*targets: tuple) -> None:
    ctx = mp.get_context("spawn")  # fresh interpreters, like two real processes
    start = ctx.Event()
    procs = [ctx.Process(target=fn, args=(url, start, *rest)) for fn, url, *rest in targets]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(300)
    codes = [p.exitcode for p in procs]
    for p in procs:
        if p.is_alive():
            p.kill()
    assert codes == [0] * len(procs), f"a writer failed (exit codes {codes}); see its traceback above"


def test_monitor_scheduler_and_dashboard_write_at_once(tmp_path: Path) -> None:
    from finance_monitor import alerts, rule_store
    from finance_monitor.store import AlertRow, ItemRow, RuleRow, Store

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = Store(url)
    rule_store.ensure_default_rules(store, writers.T0)
    alerts.apply_evaluations(store, writers.monitor_rule(store), writers.alert_evaluations(0), writers.T0)
    n_rules = len(rule_store.list_rules(store))

    run_together((writers.monitor_scheduler, url), (writers.monitor_dashboard, url))

    with store.session() as s:
        assert s.scalar(select(func.count(ItemRow.id))) == writers.BATCHES * writers.PER_BATCH
        rows = s.scalars(select(AlertRow).order_by(AlertRow.id)).all()
        assert len(rows) == writers.N_ALERTS
        # Every acknowledgement landed, and so did every one of the scheduler's updates to the same rows.
        assert {(a.status, a.acked_by) for a in rows} == {("acknowledged", "ana")}
        assert {a.fire_count for a in rows} == {1 + writers.BATCHES}
        assert all(a.message.endswith(f"(step {writers.BATCHES})") for a in rows)
        assert s.scalar(select(func.count(RuleRow.id))) == n_rules + writers.N_ALERTS
    store.dispose()


def test_bot_ingestion_and_console_write_at_once(tmp_path: Path) -> None:
    from customer_service.store import Conversation, Document, Handoff, Message, Proposal, Store

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    store = Store(url)
    wid = store.create_workspace("busy", {}).id
    n = 60

    run_together((writers.bot_ingester, url, wid, n), (writers.bot_agent, url, wid, n))

    with store.session() as s:
        assert s.scalar(select(func.count(Document.id))) == n
        assert store.count_chunks(wid) == n
        assert store.kb_version(wid) == n  # every ingestion bumped the version: no lost update
        assert s.scalar(select(func.count(Conversation.id)).where(Conversation.status == "resolved")) == n
        assert s.scalar(select(func.count(Message.id))) == n
        assert s.scalar(select(func.count(Proposal.id))) == n
        assert s.scalar(select(func.count(Handoff.id)).where(Handoff.resolved_at.is_not(None))) == n
    store.engine.dispose()
