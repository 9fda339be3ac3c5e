"""Metric functions against values computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from recommender import metrics as M


def test_recall_ndcg_mrr_by_hand():
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    assert M.recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal over min(3, 4) = 3 positions
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / idcg)
    assert M.ndcg_at_k(ranked, relevant, 1) == 0.0
    assert M.reciprocal_rank(ranked, relevant) == pytest.approx(0.5)
    assert M.reciprocal_rank(ranked, {"q"}) == 0.0


def test_perfect_and_empty_lists():
    assert M.ndcg_at_k(["x", "y"], {"x", "y"}, 10) == pytest.approx(1.0)
    assert M.recall_at_k([], {"x"}, 10) == 0.0
    assert M.ndcg_at_k(["x"], set(), 10) == 0.0


def test_coverage_counts_distinct_items_in_top_k():
    lists = [["a", "b", "c"], ["a", "d", "e"]]
    assert M.coverage(lists, 10, k=2) == pytest.approx(3 / 10)  # a, b, d
    assert M.coverage(lists, 10) == pytest.approx(5 / 10)


def test_evaluate_means_over_users_and_counts_missing_lists_as_misses():
    recs = {"u1": ["a", "b"], "u2": ["c", "d"]}
    rel = {"u1": {"a"}, "u2": {"d"}, "u3": {"e"}}
    out = M.evaluate(recs, rel, catalogue_size=5, k=2)
    assert out["users"] == 3
    assert out["recall@2"] == pytest.approx((1 + 1 + 0) / 3)
    assert out["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert out["ndcg@2"] == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert out["coverage"] == pytest.approx(4 / 5)


class _KeywordEncoder:
    """A stand-in text model with known geometry: one axis per keyword, unit vectors."""

    AXES = ("space", "food", "crime")

    def encode(self, texts):
        vecs = np.array([[float(k in t.lower()) for k in self.AXES] for t in texts], np.float32) + 1e-3
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_text_only_ndcg_ranks_unseen_items_by_history_text_by_hand():
    from recommender.evaluation import text_only_ndcg

    items = pd.DataFrame({"item_id": ["s1", "s2", "f1", "c1"],
                          "text": ["space one", "space two", "food one", "crime and food"]})
    history = pd.DataFrame({"user_id": ["u", "v"], "item_id": ["s1", "f1"], "timestamp": [0, 0],
                            "weight": [1.0, 1.0]})
    # u (space fan) took s2, f1 and s1 again (seen: not relevant); v (food fan) took s2;
    # w has no history and is skipped
    labels = pd.DataFrame({"user_id": ["u", "u", "u", "v", "w"], "item_id": ["s2", "f1", "s1", "s2", "s1"]})
    res = text_only_ndcg(_KeywordEncoder(), items, history, labels, k=2)
    # u: unseen by cosine = s2, c1 (shares a little more with space than f1), f1 -> top 2 [s2, c1]:
    #    one hit at rank 1 of 2 relevant. v: c1 (food), then s1/s2 tie, catalogue order -> [c1, s1]: none
    u = 1 / (1 + 1 / math.log2(3))
    assert res["users"] == 2
    assert res["ndcg@2"] == pytest.approx(u / 2)
    assert res["recall@2"] == pytest.approx(0.5 / 2)
