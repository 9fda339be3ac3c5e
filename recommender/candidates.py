"""Candidate generation and the per-candidate signal table shared by ranker training and serving.

Sources: text ANN (user vector → item vectors), item co-occurrence, ALS and popularity, merged into one
set; already-seen items are removed here so no later stage can resurface them. Every candidate gets the
same features whichever source found it, so the ranker learns how much to trust each signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.ann import ItemIndex
from recommender.collaborative import ALS, Cooccurrence, Popularity
from recommender.config import CandidateConfig

DAY = 86400.0
FEATURES = ["text", "text_history_max", "cooc", "als", "pop_log", "pop_week", "age_days",
            "since_last_days", "user_log_events", "text_pct", "cooc_pct", "als_pct", "pop_week_pct",
            "n_sources", "user_days_inactive", "user_mean_pop"]
SOURCES = {"text": 1, "cooccurrence": 2, "als": 4, "popularity": 8}


@dataclass
class Signals:
    """Behaviour models fitted on one period, and the reference time their features are relative to."""

    popularity: Popularity
    cooccurrence: Cooccurrence
    als: ALS
    now: int

    def extend(self, n_items: int) -> None:
        self.popularity.extend(n_items)


@dataclass
class UserContext:
    """Everything known about the person asking: history rows (positions, weights) and a text vector."""

    positions: np.ndarray           # catalogue rows of the history, oldest first
    weights: np.ndarray
    vector: np.ndarray | None       # unit vector from the text model (history text and/or free text)


@dataclass
class CandidateSet:
    positions: np.ndarray   # catalogue rows, int64
    features: np.ndarray    # (n, len(FEATURES)) float32
    sources: np.ndarray     # bitmask of SOURCES

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


def _top(scores: np.ndarray, k: int, banned: np.ndarray) -> np.ndarray:
    if k <= 0:
        return np.zeros(0, np.int64)
    s = scores.copy()
    s[banned] = -np.inf
    k = min(k, len(s))
    top = np.argpartition(-s, k - 1)[:k]
    return top[np.isfinite(s[top]) & (s[top] > 0)]


def generate(ctx: UserContext, signals: Signals, index: ItemIndex, item_vectors: np.ndarray,
             config: CandidateConfig, exclude_seen: bool = True) -> CandidateSet:
    n = len(item_vectors)
    banned = np.zeros(n, bool)
    if exclude_seen and len(ctx.positions):
        banned[ctx.positions] = True
    has_history = len(ctx.positions) > 0
    cooc = signals.cooccurrence.scores(ctx.positions, ctx.weights, n) if has_history else np.zeros(n, np.float32)
    als = signals.als.scores(ctx.positions, ctx.weights, n) if has_history else np.zeros(n, np.float32)
    pop = signals.popularity.scores()

    # one bitmask per catalogue row (cheap even for 100k items) instead of a Python dict merge
    found = np.zeros(n, np.int64)
    if ctx.vector is not None and config.text:
        _, ids = index.search(ctx.vector, config.text + int(banned.sum()))
        ids = ids[0][ids[0] >= 0]
        found[ids[~banned[ids]]] |= SOURCES["text"]
    for name, scores, k in (("cooccurrence", cooc, config.cooccurrence), ("als", als, config.als),
                            ("popularity", pop, config.popularity)):
        found[_top(scores, k, banned)] |= SOURCES[name]
    positions = np.flatnonzero(found).astype(np.int64)
    sources = found[positions]
    return CandidateSet(positions, features(ctx, positions, sources, signals, item_vectors, cooc, als), sources)


def _pct(x: np.ndarray) -> np.ndarray:
    """Rank of each value within this user's candidates, 1 = best: comparable across users."""
    if len(x) < 2:
        return np.ones(len(x), np.float32)
    return (np.argsort(np.argsort(x, kind="stable"), kind="stable") / (len(x) - 1)).astype(np.float32)


def features(ctx: UserContext, positions: np.ndarray, sources: np.ndarray, signals: Signals,
             item_vectors: np.ndarray, cooc: np.ndarray, als: np.ndarray) -> np.ndarray:
    vecs = item_vectors[positions]
    out = np.zeros((len(positions), len(FEATURES)), np.float32)
    if ctx.vector is not None:
        out[:, 0] = vecs @ ctx.vector
    if len(ctx.positions):
        recent = item_vectors[ctx.positions[-20:]]
        out[:, 1] = (vecs @ recent.T).max(axis=1)
    out[:, 2] = cooc[positions]
    out[:, 3] = als[positions]
    pop = signals.popularity
    out[:, 4] = np.log1p(pop.count[positions])
    out[:, 5] = np.log1p(pop.recent[positions])
    # never-seen items: NaN ages let LightGBM route them separately from "seen long ago"
    out[:, 6] = (signals.now - pop.first_seen[positions]) / DAY
    out[:, 7] = (signals.now - pop.last_seen[positions]) / DAY
    out[:, 8] = np.log1p(len(ctx.positions))
    for col, src in ((9, 0), (10, 2), (11, 3), (12, 5)):
        out[:, col] = _pct(out[:, src])
    out[:, 13] = np.bitwise_count(sources.astype(np.uint64))
    if len(ctx.positions):
        out[:, 14] = np.nanmin((signals.now - pop.last_seen[ctx.positions]) / DAY)
        out[:, 15] = np.log1p(pop.count[ctx.positions]).mean()
    else:
        out[:, 14:16] = np.nan
    return out
