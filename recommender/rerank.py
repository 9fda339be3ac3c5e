"""Final list assembly: blend per-signal scores, then an MMR diversity re-rank. Pure functions."""

from __future__ import annotations

import numpy as np

from recommender.config import BlendConfig


def minmax(x: np.ndarray) -> np.ndarray:
    x = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0)
    if len(x) == 0:
        return x
    lo, hi = x.min(), x.max()
    if hi - lo < 1e-12:
        return np.zeros(len(x))
    return (x - lo) / (hi - lo)


def blend(signals: dict[str, np.ndarray], config: BlendConfig) -> np.ndarray:
    """Weighted sum of min-max scaled signals (a missing signal counts 0)."""
    n = len(next(iter(signals.values())))
    total = np.zeros(n)
    for name, weight in config.weights().items():
        if weight and name in signals:
            total += weight * minmax(signals[name])
    return total


def filter_seen(positions: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Boolean mask of the positions not in `seen`."""
    return ~np.isin(positions, seen)


def mmr(scores: np.ndarray, vectors: np.ndarray, k: int, lam: float) -> np.ndarray:
    """Maximal marginal relevance: pick argmax lam*rel - (1-lam)*max cos(already picked); returns order."""
    n = len(scores)
    k = min(k, n)
    if lam >= 1.0 or n == 0:
        return np.argsort(-scores, kind="stable")[:k]
    rel = minmax(scores)
    sims = vectors @ vectors.T
    chosen: list[int] = []
    max_sim = np.full(n, -np.inf)
    available = np.ones(n, bool)
    for _ in range(k):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        value = np.where(available, lam * rel - (1 - lam) * penalty, -np.inf)
        j = int(np.argmax(value))
        chosen.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, sims[j])
    return np.asarray(chosen, dtype=np.int64)
