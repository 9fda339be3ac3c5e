"""Retrieval and ranking metrics (`shared.retrieval_metrics`) against values computed by hand: ranked lists
(moved from tests/recommender/test_metrics.py), ranks, and the list and score-matrix forms agreeing."""

import math

import numpy as np
import pytest

from shared import retrieval_metrics as M
from shared.errors import DataError


def test_recall_ndcg_mrr_by_hand():
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    assert M.list_recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert M.list_recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal over min(3, 4) = 3 positions
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / idcg)
    assert M.ndcg_at_k(ranked, relevant, 1) == 0.0
    assert M.reciprocal_rank(ranked, relevant) == pytest.approx(0.5)
    assert M.reciprocal_rank(ranked, {"q"}) == 0.0


def test_perfect_and_empty_lists():
    assert M.ndcg_at_k(["x", "y"], {"x", "y"}, 10) == pytest.approx(1.0)
    assert M.list_recall_at_k([], {"x"}, 10) == 0.0
    assert M.ndcg_at_k(["x"], set(), 10) == 0.0


def test_coverage_counts_distinct_items_in_top_k():
    lists = [["a", "b", "c"], ["a", "d", "e"]]
    assert M.coverage(lists, 10, k=2) == pytest.approx(3 / 10)  # a, b, d
    assert M.coverage(lists, 10) == pytest.approx(5 / 10)


def test_evaluate_means_over_users_and_counts_missing_lists_as_misses():
    recs = {"u1": ["a", "b"], "u2": ["c", "d"]}
    rel = {"u1": {"a"}, "u2": {"d"}, "u3": {"e"}}
    out = M.evaluate_rankings(recs, rel, catalogue_size=5, k=2)
    assert out["users"] == 3
    assert out["recall@2"] == pytest.approx((1 + 1 + 0) / 3)
    assert out["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert out["ndcg@2"] == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert out["coverage"] == pytest.approx(4 / 5)


def test_metrics_from_ranks_by_hand():
    # ranks 1, 3, 7 and one miss (inf): recall@1 = 1/4, recall@5 = 2/4, recall@10 = 3/4
    out = M.metrics_from_ranks([1, 3, 7, math.inf], ks=(1, 5, 10))
    assert out == pytest.approx({"recall@1": 0.25, "recall@5": 0.5, "recall@10": 0.75,
                                 "mrr": (1 + 1 / 3 + 1 / 7 + 0) / 4})
    assert M.metrics_from_ranks([]) == {}
    with pytest.raises(DataError, match="k must be >= 1, got 0"):
        M.metrics_from_ranks([1], ks=(0,))


def test_ranked_metrics_of_lists_with_one_gold_id_each():
    rankings = [[4, 2, 9], [1, 4, 2, 3, 0, 7], [8, 5], [3, 2, 1, 0, 6]]
    gold = [4, 7, 1, 6]  # ranks 1, 6, missing, 5
    out = M.ranked_metrics(rankings, gold)
    assert out == pytest.approx({"recall@1": 1 / 4, "recall@5": 2 / 4, "mrr": (1 + 1 / 6 + 0 + 1 / 5) / 4, "n": 4})
    assert M.first_rank(["a", "b"], "b") == 2 and M.first_rank(["a"], "z") == math.inf
    assert M.reciprocal_rank(["a", "b", "c"], "c") == pytest.approx(1 / 3)
    with pytest.raises(DataError, match="one gold id per ranking: 2 rankings, 1 gold"):
        M.ranked_metrics([[1], [2]], [1])


def test_score_matrix_and_ranked_lists_agree():
    """The same retrieval given as scores and as the lists those scores sort into gives the same figures."""
    scores = np.array([[0.9, 0.1, 0.5, 0.3],
                       [0.2, 0.8, 0.7, 0.1],
                       [0.1, 0.2, 0.3, 0.4]])
    relevant = [2, 1, 0]  # ranks 2, 1, 4
    lists = [list(np.argsort(-row, kind="stable")) for row in scores]
    assert list(M.ranks(scores, relevant)) == [2, 1, 4]
    by_matrix = M.retrieval_metrics(scores, relevant, ks=(1, 3))
    by_lists = M.ranked_metrics(lists, relevant, ks=(1, 3))
    assert by_matrix == pytest.approx({"recall@1": 1 / 3, "recall@3": 2 / 3, "mrr": (1 / 2 + 1 + 1 / 4) / 3})
    assert {k: v for k, v in by_lists.items() if k != "n"} == pytest.approx(by_matrix)
    assert M.recall_at_k(scores, relevant, 1) == pytest.approx(1 / 3)
    assert M.mrr(scores, relevant) == pytest.approx((1 / 2 + 1 + 1 / 4) / 3)
