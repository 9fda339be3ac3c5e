"""Offline evaluation on the held-out test window: single-signal baselines and the blended service,
scored with the same metric functions; plus the cold-start-items slice.

Cold-start items are those whose first interaction falls in the test window: the served behaviour
models never saw them, so CF-only methods cannot rank them by construction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender.config import RecConfig
from recommender.errors import RecDataError
from recommender.service import Histories, Recommender
from recommender.text_model import history_text
from shared import retrieval_metrics as M
from shared.encoders import Encoder

METHODS = ("popularity", "item-kNN", "ALS", "text", "blended")


def ranked_list(rec: Recommender, user: str, method: str, k: int = 50,
                config: RecConfig = RecConfig()) -> list[str]:
    """Top-k item ids for a known user from one method; seen items are excluded for all methods."""
    if method == "blended":
        cfg = RecConfig(blend=config.blend, diversity=config.diversity, n=k)
        return rec.recommend(user, config=cfg, explain_items=False)["item_id"].tolist()
    n = len(rec.items)
    pos, w = rec.histories.positions[user], rec.histories.weights[user]
    if method == "popularity":
        scores = rec.signals.popularity.scores().astype(np.float64)
    elif method == "item-kNN":
        scores = rec.signals.cooccurrence.scores(pos, w, n).astype(np.float64)
    elif method == "ALS":
        scores = rec.signals.als.scores(pos, w, n).astype(np.float64)
    elif method == "text":
        scores = (rec.item_vectors @ rec.user_vector(user)).astype(np.float64)
    else:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    scores[pos] = -np.inf
    top = np.argsort(-scores, kind="stable")[:k]
    top = top[np.isfinite(scores[top])]
    return rec.items["item_id"].to_numpy()[top].tolist()


def cold_items(rec: Recommender) -> set[str]:
    """Items first interacted with in the test window (never seen by the served CF models)."""
    if rec.test is None:
        return set()
    return set(rec.test["item_id"]) - set(rec.history["item_id"])


def evaluate_methods(rec: Recommender, methods: Sequence[str] = METHODS, k: int = 10, k_cold: int = 50,
                     users: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    targets = rec.test_targets(users)
    cold = cold_items(rec)
    cold_targets = {u: t & cold for u, t in targets.items() if t & cold}
    out: dict[str, dict[str, float]] = {}
    for method in methods:
        lists = {u: ranked_list(rec, u, method, max(k, k_cold)) for u in targets}
        res = M.evaluate_rankings({u: lst[:k] for u, lst in lists.items()}, targets, len(rec.items), k)
        res[f"cold_recall@{k_cold}"] = float(np.mean([M.list_recall_at_k(lists[u], cold_targets[u], k_cold)
                                                    for u in cold_targets])) if cold_targets else float("nan")
        res["cold_users"] = len(cold_targets)
        out[method] = res
    return out


def text_only_ndcg(encoder: Encoder, items: pd.DataFrame, history: pd.DataFrame, labels: pd.DataFrame,
                   history_len: int = 5, k: int = 10) -> dict[str, float]:
    """Text-model-only metrics on a label window: each user's recent history text against every item
    text, seen items excluded. Used to decide on the validation window whether a fine-tuned text
    model beats the base encoder (the test window is never looked at)."""
    item_ids = items["item_id"].tolist()
    texts = items["text"].tolist()
    item_pos = {i: n for n, i in enumerate(item_ids)}
    hist = Histories.from_frame(history, item_pos)
    users = sorted(set(labels["user_id"].astype(str)) & set(hist.positions))
    if not users:
        raise RecDataError("No user of the label window has an earlier history: cannot score the text model.")
    vectors = encoder.encode(texts)
    queries = encoder.encode([history_text([texts[p] for p in hist.positions[u][-history_len:]]) for u in users])
    scores = queries @ vectors.T
    taken = labels.groupby(labels["user_id"].astype(str))["item_id"].agg(set)
    lists, relevant = {}, {}
    for row, user in enumerate(users):
        seen = hist.positions[user]
        s = scores[row]
        s[seen] = -np.inf
        lists[user] = [item_ids[j] for j in np.argsort(-s, kind="stable")[:k]]
        relevant[user] = set(taken[user]) - {item_ids[p] for p in seen}
    return M.evaluate_rankings(lists, relevant, len(item_ids), k)
