"""Retrieval metrics over a score matrix: one row per query, one column per candidate, one relevant
candidate per query (its column index).

Pure numpy, no model. Ties count against the relevant candidate (a candidate scoring exactly the same
ranks ahead of it), so a scorer that gives every candidate the same score earns nothing — this matters
for lexical baselines such as BM25, where many candidates score 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from shared.errors import DataError


def ranks(scores: np.ndarray, relevant: Sequence[int]) -> np.ndarray:
    """1-based rank of each query's relevant candidate (1 = retrieved first)."""
    scores = np.asarray(scores, dtype=np.float64)
    relevant = np.asarray(relevant, dtype=np.int64)
    if scores.ndim != 2:
        raise DataError(f"Scores must be a (queries, candidates) matrix, got shape {scores.shape}.")
    if relevant.shape != (scores.shape[0],):
        raise DataError(f"Need one relevant index per query: {scores.shape[0]} queries, {relevant.shape} indices.")
    if len(relevant) and (relevant.min() < 0 or relevant.max() >= scores.shape[1]):
        raise DataError(f"Relevant indices must be in [0, {scores.shape[1]}); got {relevant.min()}..{relevant.max()}.")
    rows = np.arange(len(relevant))
    target = scores[rows, relevant][:, None]
    ahead = (scores >= target).sum(axis=1) - 1  # every other candidate scoring at least as high
    return ahead + 1


def recall_at_k(scores: np.ndarray, relevant: Sequence[int], k: int) -> float:
    """Fraction of queries whose relevant candidate is among the top k."""
    if k < 1:
        raise DataError(f"k must be >= 1, got {k}.")
    r = ranks(scores, relevant)
    return float((r <= k).mean()) if len(r) else float("nan")


def mrr(scores: np.ndarray, relevant: Sequence[int]) -> float:
    """Mean reciprocal rank of the relevant candidate."""
    r = ranks(scores, relevant)
    return float((1.0 / r).mean()) if len(r) else float("nan")


def retrieval_metrics(scores: np.ndarray, relevant: Sequence[int], ks: Iterable[int] = (1, 5, 10)) -> dict[str, float]:
    """{"recall@1": .., "recall@5": .., "recall@10": .., "mrr": ..} from one ranking pass."""
    r = ranks(scores, relevant)
    if not len(r):
        return {}
    out = {f"recall@{k}": float((r <= k).mean()) for k in ks}
    out["mrr"] = float((1.0 / r).mean())
    return out
