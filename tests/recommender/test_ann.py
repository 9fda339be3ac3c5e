"""FAISS index results against an exact brute-force oracle."""

import numpy as np
import pytest

from recommender.ann import ItemIndex, LayeredIndex, exact_top_k
from recommender.errors import RecDataError


def unit(rng, n, d):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind,min_recall", [("flat", 1.0), ("hnsw", 0.95)])
def test_index_matches_exact_oracle(kind, min_recall):
    rng = np.random.default_rng(0)
    items, queries = unit(rng, 4000, 48), unit(rng, 50, 48)
    index = ItemIndex(48, kind)
    index.add(items, np.arange(len(items)))
    scores, ids = index.search(queries, 10)
    exact_scores, exact_ids = exact_top_k(items, queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids)])
    assert recall >= min_recall
    if kind == "flat":
        np.testing.assert_allclose(scores, exact_scores, rtol=1e-5, atol=1e-5)


def test_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    items = unit(rng, 300, 16)
    index = ItemIndex(16, "hnsw")
    index.add(items, np.arange(300) + 7)
    index.save(tmp_path / "i.faiss")
    again = ItemIndex.load(tmp_path / "i.faiss")
    assert again.kind == "hnsw" and len(again) == 300
    np.testing.assert_array_equal(index.search(items[:5], 3)[1], again.search(items[:5], 3)[1])


def test_layered_index_adds_and_removes_fresh_items():
    rng = np.random.default_rng(2)
    items = unit(rng, 200, 16)
    layered = LayeredIndex(_built(items))
    new = unit(rng, 1, 16)
    layered.add(new, np.array([200]))
    _, ids = layered.search(new, 3)
    assert ids[0][0] == 200
    exact = exact_top_k(np.vstack([items, new]), new, 3)[1]
    assert list(ids[0][:3]) == list(exact[0])
    far = -new  # a query far from the new item still gets it back as a candidate, after the main top 3
    _, ids = layered.search(far, 3)
    assert len(ids[0]) == 4 and ids[0][-1] == 200
    layered.remove(np.array([200]))
    assert 200 not in layered.search(new, 3)[1][0]
    with pytest.raises(RecDataError, match="Only items added"):
        layered.remove(np.array([3]))


def _built(items):
    index = ItemIndex(items.shape[1], "hnsw")
    index.add(items, np.arange(len(items)))
    return index


def test_bad_vectors_are_refused():
    index = ItemIndex(8)
    with pytest.raises(RecDataError, match="shape"):
        index.add(np.zeros((3, 5)), np.arange(3))
    with pytest.raises(RecDataError, match="NaN"):
        index.add(np.full((1, 8), np.nan), np.arange(1))
