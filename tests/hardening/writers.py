"""Worker processes for the concurrent-writer tests (module-level so `spawn` can import them).

Each worker opens its own engine on the shared SQLite file, waits for the start signal so both write at
once, and reports failures through its exit code (the traceback goes to stderr)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
N_ALERTS = 20
BATCHES = 40
PER_BATCH = 25


def alert_evaluations(step: int) -> list:
    import pandas as pd

    from finance_monitor.rules import Evaluation

    bucket = pd.Timestamp(T0).floor("1D") + pd.Timedelta(days=step)
    return [Evaluation("sentiment-drop-entity", "entity", f"Company {i}", bucket, True, -0.5 - step / 1000, 0.1,
                       -0.1, 5, f"entity 'Company {i}': mean sentiment down (step {step})") for i in range(N_ALERTS)]


def monitor_rule(store):
    from finance_monitor import rule_store

    return next(r for r, _ in rule_store.list_rules(store) if r.name == "sentiment-drop-entity")


def monitor_scheduler(url: str, start) -> None:
    """What the scheduler's fetch and evaluate jobs write: new items, and the still-firing alerts updated."""
    from finance_monitor import alerts, ingest
    from finance_monitor.sources.base import RawItem
    from finance_monitor.store import Store

    store = Store(url)
    rule = monitor_rule(store)
    start.wait()
    for b in range(BATCHES):
        now = T0 + timedelta(minutes=b + 1)
        items = [RawItem(f"Batch {b} headline {i}: markets move", published_at=now) for i in range(PER_BATCH)]
        ingest.ingest_items(store, None, items, now)
        alerts.apply_evaluations(store, rule, alert_evaluations(b + 1), now)
    store.dispose()


def monitor_dashboard(url: str, start) -> None:
    """What the analyst does meanwhile: acknowledge every alert and edit a rule."""
    from finance_monitor import alerts, rule_store
    from finance_monitor.rules import Rule
    from finance_monitor.store import Store

    store = Store(url)
    start.wait()
    for alert_id in range(1, N_ALERTS + 1):
        alerts.acknowledge(store, alert_id, "ana", T0 + timedelta(minutes=alert_id))
        rule_store.save_rule(store, Rule(name=f"analyst-rule-{alert_id}", kind="negative_share"),
                             T0 + timedelta(minutes=alert_id))
    store.dispose()


def bot_ingester(url: str, start, workspace_id: int, n: int) -> None:
    """Documents written the way the knowledge base writes them (parse, vectors, one upsert transaction)."""
    import numpy as np

    from customer_service.ingest import parse_file
    from customer_service.store import Store

    store = Store(url)
    start.wait()
    for i in range(n):
        parsed = parse_file(f"doc-{i}.md", f"# Page {i}\n\nOpening hours for branch {i} are 8 to 17.".encode())
        vectors = np.full((len(parsed.chunks), 384), i, dtype=np.float32)
        store.upsert_document(workspace_id, parsed, vectors, "minilm", {})
    store.engine.dispose()


def bot_agent(url: str, start, workspace_id: int, n: int) -> None:
    """The console meanwhile: customer turns with proposals, hand-overs and resolutions."""
    from customer_service.store import Store

    store = Store(url)
    start.wait()
    for i in range(n):
        conv = store.start_conversation(workspace_id)
        store.record_turn(conv.id, f"Question number {i}?", {"route": "handoff", "confidence": 0.1, "text": "",
                                                             "sources": [], "latency_ms": 1.0}, "low confidence")
        store.hand_over(conv.id, "agent took over", by="agent")
        store.resolve(conv.id)
    store.engine.dispose()
