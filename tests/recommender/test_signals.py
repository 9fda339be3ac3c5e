"""Behaviour signals, candidate merging and re-ranking on small hand-built data."""

import numpy as np
import pandas as pd
import pytest

from recommender.collaborative import ALS, Cooccurrence, Popularity, user_item_matrix
from recommender.config import BlendConfig
from recommender.rerank import blend, filter_seen, minmax, mmr

DAY = 86400
INTER = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3", "u4"],
                      "item_id": ["a", "b", "a", "b", "a", "c", "d"],
                      "weight": [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0],
                      "timestamp": [0, DAY, 2 * DAY, 3 * DAY, 9 * DAY, 10 * DAY, 10 * DAY]})
POS = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}


def test_popularity_counts_overall_and_last_week():
    pop = Popularity().fit(INTER, POS, 5, now=11 * DAY)
    np.testing.assert_allclose(pop.count, [3, 2, 2, 1, 0])
    np.testing.assert_allclose(pop.recent, [1, 0, 2, 1, 0])  # events after day 4
    assert pop.first_seen[0] == 0 and np.isnan(pop.first_seen[4])


def test_cooccurrence_is_cosine_over_users():
    m, _users = user_item_matrix(INTER, POS, 5)
    co = Cooccurrence().fit(m)
    # a: {u1,u2,u3}, b: {u1,u2} → cos = 2 / sqrt(3*2)
    assert co.sim[0, 1] == pytest.approx(2 / np.sqrt(6), rel=1e-5)
    assert co.sim[0, 3] == 0 and co.sim[0, 0] == 0
    scores = co.scores(np.array([1]), np.array([1.0]), 5)
    assert np.argmax(scores) == 0
    assert co.best_reason(np.array([1, 3]), 0)[0] == 1


def test_als_scores_items_from_a_new_history_and_keeps_unseen_items_cold():
    m, _ = user_item_matrix(INTER, POS, 5)
    als = ALS(factors=4, iterations=5).fit(m)
    s = als.scores(np.array([1]), np.array([1.0]), 5)
    assert s[4] == 0.0  # item "e" never occurred
    assert s[0] > s[3]  # a co-occurs with b, d does not


def test_blend_mmr_and_seen_filter():
    assert minmax(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    b = blend({"text": np.array([0.0, 1.0]), "popularity": np.array([10.0, 0.0])},
              BlendConfig(ranker=0, text=1.0, popularity=0.5))
    np.testing.assert_allclose(b, [0.5, 1.0])
    assert filter_seen(np.array([1, 2, 3]), np.array([2])).tolist() == [True, False, True]
    vecs = np.array([[1, 0], [1, 0], [0, 1]], np.float32)
    scores = np.array([1.0, 0.9, 0.5])
    assert mmr(scores, vecs, 2, 1.0).tolist() == [0, 1]
    assert mmr(scores, vecs, 2, 0.3).tolist() == [0, 2]  # the near-duplicate gives way


def test_fresh_slots_reserve_positions_for_matching_new_items():
    from recommender.rerank import fresh_slots

    order = np.arange(10)
    is_fresh = np.zeros(14, bool)
    is_fresh[[11, 12, 13]] = True
    text = np.zeros(14)
    text[11], text[12], text[13] = 0.9, 0.8, -1.0  # 13 is new but unrelated: below the median
    out = fresh_slots(order, is_fresh, text, 10, 0.2)
    assert out.tolist() == [0, 1, 2, 3, 11, 5, 6, 7, 8, 12]  # every 5th place; best match first
    one = fresh_slots(order, is_fresh, np.where(np.arange(14) == 12, -1.0, text), 10, 0.2)
    assert one.tolist() == list(range(9)) + [11]  # a single qualifying item takes the last slot
    assert set(out.tolist()) - set(range(10)) == {11, 12}
    assert out[4] in (11, 12) and out[9] in (11, 12) and 13 not in out
    assert fresh_slots(order, is_fresh, text, 10, 0.0).tolist() == list(range(10))
