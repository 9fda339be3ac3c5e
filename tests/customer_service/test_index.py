"""The hybrid index against exact oracles, through a random sequence of add/update/delete."""

from __future__ import annotations

import numpy as np
import pytest

from customer_service.index import HybridIndex, tokenize


def _exact_top(vectors: dict[int, np.ndarray], q: np.ndarray, k: int) -> list[int]:
    ids = sorted(vectors)
    scores = np.stack([vectors[i] for i in ids]) @ q
    order = np.argsort(-scores, kind="stable")[:k]
    return [ids[j] for j in order]


def test_dense_search_matches_brute_force_through_updates(encoder, faq):
    texts = faq["answer"].tolist()
    vecs = encoder.encode(texts)
    queries = encoder.encode(faq["question"].tolist()[:12])
    index = HybridIndex(encoder.dim)
    oracle: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(0)
    next_id = 100

    def check() -> None:
        assert sorted(index.ids) == sorted(oracle)
        for q in queries:
            got = [i for i, _ in index.dense_search(q, 5)]
            want = _exact_top(oracle, q, 5)
            assert got == want
            scores = dict(index.dense_search(q, 5))
            for i in got:
                assert scores[i] == pytest.approx(float(oracle[i] @ q), abs=1e-5)

    # add in two batches
    for start in (0, 20):
        ids = list(range(next_id, next_id + 20))
        next_id += 20
        index.add(ids, texts[start:start + 20], vecs[start:start + 20])
        oracle.update(dict(zip(ids, vecs[start:start + 20])))
        check()
    # delete a random third
    gone = [int(i) for i in rng.choice(sorted(oracle), size=len(oracle) // 3, replace=False)]
    index.remove(gone)
    for i in gone:
        del oracle[i]
    check()
    # update (re-add an existing id with another text/vector)
    victim = min(oracle)
    index.add([victim], [texts[-1]], vecs[-1:])
    oracle[victim] = vecs[-1]
    check()
    # removing unknown ids is harmless
    index.remove([10**9])
    check()


def test_lexical_search_matches_bm25_over_the_current_corpus(encoder, faq):
    import bm25s

    texts = faq["answer"].tolist()[:30]
    index = HybridIndex(encoder.dim)
    ids = list(range(1, 31))
    index.add(ids, texts, encoder.encode(texts))
    index.remove([3, 4, 5])
    keep = [i for i in ids if i not in (3, 4, 5)]
    ref = bm25s.BM25()
    ref.index(tokenize([texts[i - 1] for i in keep]), show_progress=False)
    query = "building permit processing time weeks"
    want = ref.get_scores([t for t in tokenize([query])[0]])
    got = dict(index.lexical_search(query, 40))
    for j, i in enumerate(keep):
        assert got.get(i, 0.0) == pytest.approx(float(want[j]), rel=1e-5)


def test_hybrid_fuses_ranks_and_reports_exact_cosine(encoder, faq):
    texts = faq["answer"].tolist()
    vecs = encoder.encode(texts)
    index = HybridIndex(encoder.dim, rrf_k=60, candidates=10, lexical_weight=0.5)
    index.add(list(range(len(texts))), texts, vecs)
    query = faq["question"].iloc[1]
    q = encoder.encode([query])[0]
    hits = index.search(query, q, k=5)
    dense = [i for i, _ in index.dense_search(q, 10)]
    lexical = [i for i, _ in index.lexical_search(query, 10)]
    expected = {}
    for ranking, weight in ((dense, 1.0), (lexical, 0.5)):
        for r, i in enumerate(ranking):
            expected[i] = expected.get(i, 0) + weight / (60 + r + 1)
    assert [h.id for h in hits] == sorted(expected, key=lambda i: (-expected[i], i))[:5]
    for h in hits:
        assert h.dense == pytest.approx(float(vecs[h.id] @ q), abs=1e-5)


def test_empty_index_returns_nothing(encoder):
    index = HybridIndex(encoder.dim)
    assert index.search("anything", encoder.encode(["anything"])[0]) == []
