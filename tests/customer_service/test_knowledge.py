"""Knowledge base: incremental ingest, no-op re-ingest, deletes, failures and restarts keep the index
and the store in step."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service.errors import FaqFormatError, UnknownDocumentError, UnsupportedFileError
from customer_service.knowledge import KnowledgeBase
from customer_service.settings import RetrievalSettings
from customer_service.store import Store


class CountingEncoder:
    """The real encoder, counting how many texts it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.calls = inner, inner.name, inner.dim, 0

    def encode(self, texts):
        self.calls += len(texts)
        return self.inner.encode(texts)


def _in_step(kb: KnowledgeBase) -> None:
    stored = sorted(c.id for c in kb.store.chunks(kb.workspace_id))
    assert sorted(kb.index.ids) == stored


@pytest.fixture
def kb(db_url, encoder):
    """The knowledge base over a real SQLite file and over a fresh PostgreSQL database."""
    store = Store(db_url)
    ws = store.create_workspace("w", {})
    return KnowledgeBase(store, ws.id, CountingEncoder(encoder), RetrievalSettings())


def test_reingest_unchanged_is_a_noop_and_update_reencodes_only_changes(kb, faq):
    first = kb.ingest_faq("faq", faq)
    assert (first.status, first.n_chunks, first.n_encoded) == ("added", len(faq), len(faq))
    ids_before = sorted(kb.index.ids)
    kb.encoder.calls = 0
    again = kb.ingest_faq("faq", faq)
    assert again.status == "unchanged" and kb.encoder.calls == 0
    assert sorted(kb.index.ids) == ids_before

    changed = faq.copy()
    changed.loc[0, "answer"] = "A bygglov is a permit from the municipality. Ask us for help."
    changed = changed.drop(index=5)
    upd = kb.ingest_faq("faq", changed)
    assert (upd.status, upd.n_encoded, upd.n_removed) == ("updated", 1, 2)
    assert kb.encoder.calls == 1
    _in_step(kb)
    hits = kb.search("Is a bygglov a permit from the municipality?", k=1)
    assert "Ask us for help" in hits[0].text


def test_delete_removes_from_index_and_store(kb, faq):
    kb.ingest_faq("faq", faq)
    kb.ingest_bytes("hours.md", b"# Opening hours\n\nOur office is open Monday to Friday, 8 to 17.")
    assert kb.search("When is the office open?", k=1)[0].document == "hours.md"
    assert kb.delete("hours.md") == 1
    _in_step(kb)
    assert all(p.document != "hours.md" for p in kb.search("When is the office open?", k=5))
    with pytest.raises(UnknownDocumentError):
        kb.delete("hours.md")


def test_failed_ingest_leaves_nothing_behind(kb, faq):
    kb.ingest_faq("faq", faq)
    before = (sorted(kb.index.ids), [d.name for d in kb.store.documents(kb.workspace_id)])
    with pytest.raises(UnsupportedFileError):
        kb.ingest_bytes("faq2.csv", b"question,answer\n\xff\xfe,broken\n")
    with pytest.raises(FaqFormatError):
        kb.ingest_bytes("faq3.csv", b"query,reply\nHow?,Like this.\n")
    assert (sorted(kb.index.ids), [d.name for d in kb.store.documents(kb.workspace_id)]) == before


def test_restart_rebuilds_the_same_index_without_reencoding(db_url, encoder, faq):
    url = db_url
    store = Store(url)
    ws = store.create_workspace("w", {})
    kb = KnowledgeBase(store, ws.id, CountingEncoder(encoder), RetrievalSettings())
    kb.ingest_faq("faq", faq)
    query = "How long does it take to get a building permit?"
    before = [(p.chunk_id, round(p.dense, 5)) for p in kb.search(query)]
    store.engine.dispose()

    reopened = Store(url)
    counting = CountingEncoder(encoder)
    kb2 = KnowledgeBase(reopened, reopened.workspace("w").id, counting, RetrievalSettings())
    assert counting.calls == 0  # embeddings come from the store
    after = [(p.chunk_id, round(p.dense, 5)) for p in kb2.search(query)]
    assert after == before
    assert kb2.search(query, k=1)[0].meta["question"] == query


def test_changed_encoder_reencodes_on_open(tmp_path, encoder, faq):
    store = Store(f"sqlite:///{tmp_path / 'kb.db'}")
    ws = store.create_workspace("w", {})
    KnowledgeBase(store, ws.id, encoder, RetrievalSettings()).ingest_faq("faq", faq.head(5))

    class Renamed(CountingEncoder):
        pass

    other = Renamed(encoder)
    other.name = "minilm-finetuned"
    kb = KnowledgeBase(store, ws.id, other, RetrievalSettings())
    assert other.calls == 5
    assert {c.encoder for c in store.chunks(ws.id)} == {"minilm-finetuned"}
    assert np.isclose(np.linalg.norm(kb.index.vector(kb.index.ids[0])), 1.0, atol=1e-4)


def test_two_processes_stay_in_step(db_url, encoder, faq):
    """The console and the CLI each hold an index over one database: changes by one reach the other."""
    url = db_url
    store_a = Store(url)
    ws = store_a.create_workspace("w", {})
    a = KnowledgeBase(store_a, ws.id, encoder, RetrievalSettings())
    b = KnowledgeBase(Store(url), ws.id, encoder, RetrievalSettings())
    a.ingest_faq("faq", faq.head(10))
    a.ingest_bytes("hours.md", b"# Opening hours\n\nOur office is open Monday to Friday, 8 to 17.")
    assert b.search("When is the office open?", k=1)[0].document == "hours.md"
    b.delete("hours.md")
    assert all(p.document != "hours.md" for p in a.search("When is the office open?", k=5))
    _in_step(a)
    _in_step(b)


def test_search_reads_each_passage_once_and_sees_another_process_change_it(db_url, encoder):
    """Passages are cached in memory for the per-message path; an update made elsewhere empties the cache."""
    import pandas as pd

    store = Store(db_url)
    ws = store.create_workspace("w", {})
    a = KnowledgeBase(store, ws.id, encoder, RetrievalSettings())
    b = KnowledgeBase(Store(db_url), ws.id, encoder, RetrievalSettings())
    faq = pd.DataFrame({"question": ["When is the office open?", "Where do I park?"],
                        "answer": ["Monday to Friday, 8 to 17.", "Behind the building."]})
    a.ingest_faq("faq", faq)
    reads = []
    by_id = a.store.chunks_by_id
    a.store.chunks_by_id = lambda ids: reads.append(list(ids)) or by_id(ids)  # type: ignore[method-assign]
    first = a.search("When is the office open?", k=1)[0]
    assert "8 to 17" in first.text
    assert a.search("When is the office open?", k=1)[0].text == first.text
    assert len(reads) == 1  # the second search read nothing from the database
    b.ingest_faq("faq", faq.assign(answer=["Monday to Saturday, 7 to 18.", "Behind the building."]))
    assert "7 to 18" in a.search("When is the office open?", k=1)[0].text
