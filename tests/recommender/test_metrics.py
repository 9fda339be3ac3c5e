"""The text-only evaluation against values computed by hand (the metric functions: tests/core/test_retrieval_metrics.py)."""

import math

import numpy as np
import pandas as pd
import pytest


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
