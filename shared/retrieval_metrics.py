"""Retrieval and ranking metrics, written once, as pure functions. Pure numpy, no model.

Two inputs, one arithmetic:
- a score matrix (one row per query, one column per candidate, one relevant column per query): `ranks`,
  `recall_at_k`, `mrr`, `retrieval_metrics` (the core's embedding evaluation, the benches);
- ranked lists of ids and each query's relevant set (the recommender, the bot's bench over its index):
  `first_rank`, `reciprocal_rank`, `list_recall_at_k`, `ndcg_at_k`, `coverage`, `ranked_metrics`,
  `evaluate_rankings`.
Both reduce to 1-based ranks of the relevant item, and `metrics_from_ranks` turns ranks into recall@k and
MRR for both. Conventions (as in microsoft/recommenders): Recall@k = hits in the top k / |relevant|; NDCG@k
with binary gains and the ideal DCG over min(|relevant|, k) positions; reciprocal rank = 1 / rank of the
first relevant item, 0 if none is listed; coverage = distinct recommended items / catalogue size.

Ties in a score matrix count against the relevant candidate (a candidate scoring exactly the same ranks
ahead of it), so a scorer that gives every candidate the same score earns nothing — this matters for
lexical baselines such as BM25, where many candidates score 0.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from shared.errors import DataError

# ---- ranks → recall@k, MRR (the one place both inputs meet) ------------------------------------------


def metrics_from_ranks(ranks: Sequence[float] | np.ndarray, ks: Iterable[int] = (1, 5, 10)) -> dict[str, float]:
    """{"recall@k": share of ranks <= k, ..., "mrr": mean of 1/rank}; an unranked item has rank inf (→ 0)."""
    r = np.asarray(ranks, dtype=np.float64)
    if not len(r):
        return {}
    out = {}
    for k in ks:
        if k < 1:
            raise DataError(f"k must be >= 1, got {k}.")
        out[f"recall@{k}"] = float((r <= k).mean())
    out["mrr"] = float((1.0 / r).mean())
    return out


# ---- a score matrix with one relevant column per query ------------------------------------------------


def ranks(scores: np.ndarray, relevant: Sequence[int] | np.ndarray) -> np.ndarray:
    """1-based rank of each query's relevant candidate (1 = retrieved first)."""
    scores = np.asarray(scores, dtype=np.float64)
    rel = np.asarray(relevant, dtype=np.int64)
    if scores.ndim != 2:
        raise DataError(f"Scores must be a (queries, candidates) matrix, got shape {scores.shape}.")
    if rel.shape != (scores.shape[0],):
        raise DataError(f"Need one relevant index per query: {scores.shape[0]} queries, {rel.shape} indices.")
    if len(rel) and (rel.min() < 0 or rel.max() >= scores.shape[1]):
        raise DataError(f"Relevant indices must be in [0, {scores.shape[1]}); got {rel.min()}..{rel.max()}.")
    rows = np.arange(len(rel))
    target = scores[rows, rel][:, None]
    ahead = (scores >= target).sum(axis=1) - 1  # every other candidate scoring at least as high
    return ahead + 1


def recall_at_k(scores: np.ndarray, relevant: Sequence[int], k: int) -> float:
    """Fraction of queries whose relevant candidate is among the top k."""
    if k < 1:
        raise DataError(f"k must be >= 1, got {k}.")
    return metrics_from_ranks(ranks(scores, relevant), ks=(k,)).get(f"recall@{k}", float("nan"))


def mrr(scores: np.ndarray, relevant: Sequence[int]) -> float:
    """Mean reciprocal rank of the relevant candidate."""
    return metrics_from_ranks(ranks(scores, relevant), ks=()).get("mrr", float("nan"))


def retrieval_metrics(scores: np.ndarray, relevant: Sequence[int], ks: Iterable[int] = (1, 5, 10)) -> dict[str, float]:
    """{"recall@1": .., "recall@5": .., "recall@10": .., "mrr": ..} from one ranking pass."""
    return metrics_from_ranks(ranks(scores, relevant), ks)


# ---- ranked lists of ids ----------------------------------------------------------------------------


def first_rank(ranked: Sequence[Hashable], relevant: Hashable | set) -> float:
    """1-based position of the first relevant id in `ranked` (one id or a set of them); inf if absent."""
    wanted = relevant if isinstance(relevant, (set, frozenset)) else {relevant}
    for i, item in enumerate(ranked):
        if item in wanted:
            return float(i + 1)
    return float("inf")


def reciprocal_rank(ranked: Sequence[Hashable], relevant: Hashable | set) -> float:
    return 1.0 / first_rank(ranked, relevant)


def list_recall_at_k(ranked: Sequence[Hashable], relevant: set, k: int) -> float:
    """Share of the relevant ids found in the top k (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[Hashable], relevant: set, k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    idcg = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return float(dcg / idcg)


def coverage(recommendations: Iterable[Sequence[Hashable]], catalogue_size: int, k: int | None = None) -> float:
    if catalogue_size <= 0:
        return 0.0
    seen: set = set()
    for ranked in recommendations:
        seen.update(ranked[:k] if k else ranked)
    return len(seen) / catalogue_size


def ranked_metrics(rankings: Sequence[Sequence[Hashable]], gold: Sequence[Hashable],
                   ks: Iterable[int] = (1, 5)) -> dict[str, float]:
    """recall@k and MRR of ranked lists with one relevant id each (`gold`), plus "n", the number of queries."""
    if len(rankings) != len(gold):
        raise DataError(f"Need one gold id per ranking: {len(rankings)} rankings, {len(gold)} gold ids.")
    return {**metrics_from_ranks([first_rank(r, g) for r, g in zip(rankings, gold)], ks), "n": len(gold)}


def evaluate_rankings(recommendations: Mapping[str, Sequence[Hashable]], relevant: Mapping[str, set],
                      catalogue_size: int, k: int = 10) -> dict[str, float]:
    """Means over the users in `relevant` with a non-empty set (a user with no list counts as all misses)."""
    users = [u for u, rel in relevant.items() if rel]
    if not users:
        return {f"recall@{k}": 0.0, f"ndcg@{k}": 0.0, "mrr": 0.0, "coverage": 0.0, "users": 0}
    lists = [list(recommendations.get(u, [])) for u in users]
    return {
        f"recall@{k}": float(np.mean([list_recall_at_k(r, relevant[u], k) for u, r in zip(users, lists)])),
        f"ndcg@{k}": float(np.mean([ndcg_at_k(r, relevant[u], k) for u, r in zip(users, lists)])),
        "mrr": float(np.mean([reciprocal_rank(r, relevant[u]) for u, r in zip(users, lists)])),
        "coverage": coverage(lists, catalogue_size, k),
        "users": len(users),
    }
