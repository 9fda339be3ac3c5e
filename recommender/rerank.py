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


def fresh_slots(order: np.ndarray, is_fresh: np.ndarray, text: np.ndarray, n: int, share: float) -> np.ndarray:
    """Keep every (1/share)-th position of the top-n for a never-interacted item with the best text match.

    Only fresh items whose text score is at least the median of all candidates qualify, so an unrelated
    new item never takes a slot. Fresh items already in the list count towards the quota.
    """
    order = np.asarray(order[:n], dtype=np.int64)
    quota = int(n * share)
    if quota == 0 or not is_fresh.any():
        return order
    floor = float(np.median(text))
    have = int(is_fresh[order].sum())
    pool = [int(j) for j in np.argsort(-text, kind="stable")
            if is_fresh[j] and text[j] >= floor and j not in set(order.tolist())]
    step = max(1, round(1 / share))
    slots = [p for p in range(step - 1, n, step) if not is_fresh[order[p]]] if len(order) == n else []
    slots = slots[: max(0, quota - have)]
    slots = slots[len(slots) - min(len(slots), len(pool)):]  # too few fresh items: use the latest slots
    out = order.copy()
    for slot, j in zip(slots, pool):  # best match in the earliest slot used
        out[slot] = j
    return out
