"""Why an item was recommended: the strongest signal, named in words, with the history item behind it."""

from __future__ import annotations

import numpy as np

from recommender.candidates import Signals


def driving_signal(contributions: dict[str, float]) -> str:
    """The signal with the largest scaled contribution (ties: text, collaborative, popularity, recency)."""
    order = ["text", "collaborative", "popularity", "recency"]
    return max(order, key=lambda s: (contributions.get(s, 0.0), -order.index(s)))


def explain(item: int, signal: str, history: np.ndarray, titles: list[str], item_vectors: np.ndarray,
            signals: Signals, free_text: str | None = None) -> str:
    if signal == "collaborative" and len(history):
        best = signals.cooccurrence.best_reason(history, item)
        if best is None:  # found by ALS: use the history item closest in factor space
            f = signals.als.item_factors
            known = history[history < len(f)]
            if len(known) and item < len(f):
                best = (int(known[np.argmax(f[known] @ f[item])]), 1.0)
        if best is not None:
            return f"Because you watched {titles[best[0]]}"
    if signal in ("text", "collaborative"):
        if len(history):
            recent = history[-50:]
            j = int(recent[np.argmax(item_vectors[recent] @ item_vectors[item])])
            return f"Similar description to {titles[j]}"
        if free_text:
            return f"Matches your interest “{free_text[:60]}”"
    if signal == "recency":
        return "New in the catalogue"
    pop = signals.popularity
    if item < len(pop.recent) and pop.recent[item] > 0:
        return "Popular this week"
    if item < len(pop.count) and pop.count[item] > 0:
        return "Popular overall"
    return "New in the catalogue"
