"""Every store on both back-ends (a SQLite file and a fresh PostgreSQL database): writes, reads, UTC
datetimes, cascades, idempotent inserts, the scheduler's lease and the scheduler's persisted job state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func, select

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_bot_store(db_url: str) -> None:
    from customer_service.errors import UnknownWorkspaceError, WorkspaceExistsError
    from customer_service.ingest import ChunkData, ParsedDocument
    from customer_service.store import Chunk, Store, blob_to_vec

    store = Store(db_url, redactor=lambda t: t.replace("4111 1111", "[CARD]"))
    ws = store.create_workspace("acme", {"k": 1}, now=T0)
    with pytest.raises(WorkspaceExistsError, match="'acme' already exists"):
        store.create_workspace("acme", {})
    chunks = [ChunkData("How do I pay?", 0, 0, 13), ChunkData("By card.", 1, 13, 21)]
    doc = ParsedDocument("faq.md", "markdown", "h", chunks, 21)
    vecs = np.eye(2, 4, dtype=np.float32)
    _, added, removed = store.upsert_document(ws.id, doc, vecs, "minilm", reuse={}, now=T0)
    assert len(added) == 2 and removed == [] and store.kb_version(ws.id) == 1
    by_id = store.chunks_by_id(added)
    np.testing.assert_array_equal(np.stack([blob_to_vec(by_id[i].embedding) for i in added]), vecs)

    conv = store.start_conversation(ws.id, now=T0)
    later = T0 + timedelta(minutes=5)
    msg, prop, _ = store.record_turn(conv.id, "card 4111 1111 declined", {
        "route": "retrieval", "intent": None, "intent_score": None, "retrieval_score": 0.7, "confidence": 0.7,
        "text": "By card.", "sources": [{"chunk": added[1]}], "generated": False, "latency_ms": 3.0},
        handoff_reason="low confidence", now=later)
    assert msg.text == "card [CARD] declined"
    store.record_sent(prop.id, "By card, again.", now=later)
    store.set_rating(prop.id, 1)
    store.resolve(conv.id, now=later + timedelta(minutes=1))
    (p,) = store.proposals(conv.id)
    assert (p.sent_text, p.edited, p.rating, p.sources) == ("By card, again.", True, 1, [{"chunk": added[1]}])
    assert p.created_at == later and p.created_at.tzinfo == timezone.utc  # aware UTC on both back-ends
    (h,) = store.handoffs(ws.id)
    assert (h.reason, h.by, h.resolved_at) == ("low confidence", "bot", later + timedelta(minutes=1))
    assert store.conversation(ws.id, conv.id).status == "resolved"

    store.delete_document(ws.id, "faq.md")
    assert store.kb_version(ws.id) == 2 and store.count_chunks(ws.id) == 0
    store.delete_workspace("acme")
    with pytest.raises(UnknownWorkspaceError):
        store.workspace("acme")
    with store.session() as s:
        assert s.scalar(select(func.count(Chunk.id))) == 0
    store.dispose()


def test_monitor_store_inserts_are_idempotent(db_url: str) -> None:
    from finance_monitor.store import ItemRow, Store, insert_ignore

    store = Store(db_url)
    row = {"url": "http://x/1", "content_hash": "h1", "title": "t", "body": "", "published_at": T0,
           "date_missing": False, "fetched_at": T0}
    for _ in range(2):  # a re-run after a crash adds nothing
        with store.session() as s:
            s.execute(insert_ignore(store, ItemRow), [row, {**row, "url": "http://x/2", "content_hash": "h2"}])
    with store.session() as s:
        items = s.scalars(select(ItemRow).order_by(ItemRow.id)).all()
    assert [(i.url, i.published_at) for i in items] == [("http://x/1", T0), ("http://x/2", T0)]
    store.dispose()


def test_monitor_scheduler_lease(db_url: str) -> None:
    from finance_monitor.errors import SchedulerLockedError
    from finance_monitor.locking import StoreLock
    from finance_monitor.store import Store

    store = Store(db_url)
    first = StoreLock(store, ttl_s=90, holder="hostA:101:aa")
    second = StoreLock(store, ttl_s=90, holder="hostB:202:bb")
    first.acquire(T0)
    with pytest.raises(SchedulerLockedError) as info:
        second.acquire(T0 + timedelta(seconds=30))
    assert "hostA:101:aa" in str(info.value) and store.masked_url in str(info.value)
    assert first.heartbeat(T0 + timedelta(seconds=60))
    assert StoreLock(store).held_by() == ("hostA:101:aa", T0 + timedelta(seconds=60))
    second.acquire(T0 + timedelta(seconds=200))  # stale: taken over
    assert not first.heartbeat(T0 + timedelta(seconds=201))
    second.release()
    assert StoreLock(store).held_by() is None
    store.dispose()


def test_monitor_job_state_persists(db_url: str) -> None:
    """The scheduler's job state lives in the monitor database (`fm_schedule`, no pickled jobs since issue 14);
    a restart finds the jobs' next run times."""
    from finance_monitor.scheduler import first_run, record_run, schedule_state
    from finance_monitor.store import Store

    when = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
    store = Store(db_url)
    record_run(store, "fetch", 3600, ran_at=None, next_run_at=when)
    store.dispose()
    store = Store(db_url)
    (row,) = schedule_state(store).values()
    assert (row.job_id, row.next_run_at, row.interval_s) == ("fetch", when, 3600)
    assert first_run("fetch", 3600, row, when - timedelta(minutes=10)) == when  # resumed, not run at once
    store.dispose()


def test_recommender_configs(db_url: str) -> None:
    from recommender.config import BlendConfig, RecConfig
    from recommender.config_store import ConfigStore
    from recommender.errors import RecConfigError
    from shared.errors import InvalidNameError

    store = ConfigStore(db_url)
    a = RecConfig(blend=BlendConfig(ranker=1.0, text=0.5))
    store.save("mine", RecConfig(), now=T0)
    store.save("mine", a, now=T0)  # replaced, not duplicated
    store.save("alt", RecConfig(), now=T0)
    assert store.names() == ["alt", "mine"] and store.load("mine") == a
    with pytest.raises(RecConfigError, match="No saved configuration named 'nope'"):
        store.load("nope")
    with pytest.raises(InvalidNameError, match="Invalid configuration name ''"):
        store.save("", a)
    store.dispose()
