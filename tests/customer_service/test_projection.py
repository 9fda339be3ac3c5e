"""Query projection: the ridge map against a known linear map, the two-space index against an exact
oracle, and a knowledge base with an index encoder kept in step with its store through ingest, delete
and restart."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service.errors import SettingsError
from customer_service.index import HybridIndex
from customer_service.knowledge import KnowledgeBase
from customer_service.projection import fit_projection, sentences
from customer_service.settings import RetrievalSettings
from customer_service.store import ChunkVector, Store
from shared.metrics import unit_rows


class Named:
    """The real encoder under another name, counting the texts it encodes (a stand-in for a second model
    only in name: mpnet is an optional install, and the mechanism does not depend on which model it is)."""

    def __init__(self, inner, name: str):
        self.inner, self.name, self.dim, self.calls = inner, name, inner.dim, 0

    def encode(self, texts):
        self.calls += len(texts)
        return self.inner.encode(texts)


def test_ridge_map_recovers_a_linear_map_and_refuses_too_little_data():
    rng = np.random.default_rng(0)
    x = unit_rows(rng.normal(size=(400, 16)).astype(np.float32))
    true = rng.normal(size=(16, 24)).astype(np.float32)
    proj = fit_projection(x, x @ true, source="a", target="b", ridge=1e-6)
    probe = unit_rows(rng.normal(size=(5, 16)).astype(np.float32))
    np.testing.assert_allclose(proj.project(probe), unit_rows(probe @ true), atol=1e-4)
    assert proj.fits("a", "b") and not proj.fits("a2", "b") and proj.n_fit == 400
    with pytest.raises(SettingsError, match="at least 32"):
        fit_projection(x[:10], x[:10] @ true, source="a", target="b")
    with pytest.raises(SettingsError, match="same texts on both sides"):
        fit_projection(x, x[:-1] @ true, source="a", target="b")


def test_sentences_splits_passages_into_question_sized_pieces():
    assert sentences(["A permit is needed. It takes two weeks to issue! Ok.", "Call us on Monday about it"]) == [
        "A permit is needed.", "It takes two weeks to issue!", "Call us on Monday about it"]


def test_two_space_dense_ranking_matches_the_exact_combined_score_through_updates(encoder, faq):
    texts = faq["answer"].tolist()
    vecs = encoder.encode(texts)
    rng = np.random.default_rng(1)
    other = unit_rows(rng.normal(size=(len(texts), 8)).astype(np.float32))  # any second space will do
    index = HybridIndex(encoder.dim, index_dim=8, projection_weight=0.7)
    ids = list(range(len(texts)))
    index.add(ids, texts, vecs, other)
    with pytest.raises(ValueError, match="index_vectors must be given"):
        index.add([999], ["x"], vecs[:1])
    index.remove(ids[::3])
    kept = [i for i in ids if i % 3]
    for q, p in zip(encoder.encode(faq["question"].tolist()[:8]), unit_rows(rng.normal(size=(8, 8)).astype(np.float32))):
        got = index.dense_search(q, len(index), projected_vec=p)
        exact = {i: float(vecs[i] @ q + 0.7 * other[i] @ p) for i in kept}
        assert [i for i, _ in got] == sorted(exact, key=lambda i: (-exact[i], i))
        assert dict(got) == pytest.approx(exact, abs=1e-5)
        assert [i for i, _ in index.dense_search(q, 5)] == [i for i, _ in index.dense_search(q, 5, None)]


def test_knowledge_base_with_an_index_encoder_fits_caches_and_follows_changes(tmp_path, encoder, faq):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    store = Store(url)
    ws = store.create_workspace("w", {})
    serving, indexing = Named(encoder, "minilm"), Named(encoder, "big-encoder")
    kb = KnowledgeBase(store, ws.id, serving, RetrievalSettings(index_encoder="big-encoder"), index_encoder=indexing)
    kb.ingest_faq("faq", faq)
    proj = store.projection(ws.id)
    assert proj is not None and (proj.source, proj.target) == ("minilm", "big-encoder")
    assert proj.n_fit > len(faq)  # chunks + their sentences + their questions
    assert len(store.index_vectors(ws.id, "big-encoder")) == len(faq)
    # Both "encoders" are MiniLM here, so the fitted map must be close to the identity.
    q = encoder.encode(["How long does a building permit take?"])
    assert float((proj.project(q) * q).sum()) > 0.95
    query = faq["question"].iloc[3]
    before = [(p.chunk_id, round(p.dense, 5)) for p in kb.search(query)]
    assert kb.search(query, k=1)[0].meta["question"] == query

    store.engine.dispose()
    reopened = Store(url)
    serving2, indexing2 = Named(encoder, "minilm"), Named(encoder, "big-encoder")
    kb2 = KnowledgeBase(reopened, ws.id, serving2, RetrievalSettings(index_encoder="big-encoder"),
                        index_encoder=indexing2)
    assert serving2.calls == indexing2.calls == 0  # vectors and the projection come from the store
    assert [(p.chunk_id, round(p.dense, 5)) for p in kb2.search(query)] == before

    kb2.delete("faq")
    with reopened.session() as s:
        assert s.query(ChunkVector).count() == 0  # deleted with their chunks
    assert len(kb2.index) == 0

    retrained = Named(encoder, "minilm@v0002")  # a new serving encoder: the old map no longer applies
    kb3 = KnowledgeBase(reopened, ws.id, retrained, RetrievalSettings(index_encoder="big-encoder"),
                        index_encoder=Named(encoder, "big-encoder"))
    kb3.ingest_faq("faq", faq)
    assert reopened.projection(ws.id).source == "minilm@v0002"
