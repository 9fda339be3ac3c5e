"""Ranking metrics as pure functions over one ranked list / relevant set, and their means over users.

Conventions (as in microsoft/recommenders): Recall@k = hits in top k / |relevant|; NDCG@k with binary gains
and the ideal DCG over min(|relevant|, k) positions; MRR = 1 / rank of the first relevant item (0 if none
in the list); coverage = distinct recommended items / catalogue size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    idcg = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return float(dcg / idcg)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for i, item in enumerate(ranked):
        if item in relevant:
            return 1.0 / (i + 1)
    return 0.0


def coverage(recommendations: Iterable[Sequence[str]], catalogue_size: int, k: int | None = None) -> float:
    if catalogue_size <= 0:
        return 0.0
    seen: set[str] = set()
    for ranked in recommendations:
        seen.update(ranked[:k] if k else ranked)
    return len(seen) / catalogue_size


def evaluate(recommendations: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]],
             catalogue_size: int, k: int = 10) -> dict[str, float]:
    """Means over the users in `relevant` (a user with no list counts as all misses)."""
    users = [u for u, rel in relevant.items() if rel]
    if not users:
        return {f"recall@{k}": 0.0, f"ndcg@{k}": 0.0, "mrr": 0.0, "coverage": 0.0, "users": 0}
    lists = [list(recommendations.get(u, [])) for u in users]
    return {
        f"recall@{k}": float(np.mean([recall_at_k(r, relevant[u], k) for u, r in zip(users, lists)])),
        f"ndcg@{k}": float(np.mean([ndcg_at_k(r, relevant[u], k) for u, r in zip(users, lists)])),
        "mrr": float(np.mean([reciprocal_rank(r, relevant[u]) for u, r in zip(users, lists)])),
        "coverage": coverage(lists, catalogue_size, k),
        "users": len(users),
    }
