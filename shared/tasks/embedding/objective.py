"""In-batch-negatives contrastive loss (MultipleNegativesRankingLoss) and the retrieval evaluation."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from shared.config import DistillConfig
from shared.device import eval_mode
from shared.retrieval_metrics import retrieval_metrics
from shared.tasks.embedding.data import PairExample, RetrievalPool, collate
from shared.tasks.embedding.distill import distill_loss

SCALE = 20.0  # inverse temperature on cosine similarity, as in sentence-transformers' MNRL


def in_batch_scores(queries: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor | None = None,
                    positive_key: torch.Tensor | None = None, scale: float = SCALE) -> torch.Tensor:
    """Each query's scaled cosine against every positive (and hard negative) in the batch.

    Query i's target is column i. Other rows' positives that are the same text as positive i
    (same `positive_key`) are set to -inf: they are not negatives.
    """
    docs = positives if negatives is None else torch.cat([positives, negatives])
    scores = (F.normalize(queries.float(), dim=-1) @ F.normalize(docs.float(), dim=-1).T) * scale
    n = queries.shape[0]
    if positive_key is not None:
        same = positive_key[:, None] == positive_key[None, :]
        same.fill_diagonal_(False)
        pad = torch.zeros(n, docs.shape[0] - n, dtype=torch.bool, device=same.device)
        scores = scores.masked_fill(torch.cat([same, pad], dim=1), float("-inf"))
    return scores


def in_batch_negatives_loss(queries: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor | None = None,
                            positive_key: torch.Tensor | None = None, scale: float = SCALE) -> torch.Tensor:
    """Cross-entropy of each query against every positive (and hard negative) in the batch (MNRL)."""
    scores = in_batch_scores(queries, positives, negatives, positive_key, scale)
    return F.cross_entropy(scores, torch.arange(queries.shape[0], device=scores.device))


def sentence_embeddings(model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """A SentenceTransformer's forward on token ids (the pooling/normalise modules included)."""
    return model({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]


def encode_texts(model: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 embeddings; restores the model's train/eval mode afterwards."""
    with eval_mode(model):
        emb = model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                           show_progress_bar=False)
    return np.asarray(emb, dtype=np.float32)


def evaluate_pool(model: Any, pool: RetrievalPool, batch_size: int = 64) -> dict[str, float]:
    if not len(pool):
        return {}
    q = encode_texts(model, pool.queries, batch_size)
    c = encode_texts(model, pool.candidates, batch_size)
    return retrieval_metrics(q @ c.T, pool.relevant)


class EmbeddingTask:
    primary_metric = "dev_mrr"

    def __init__(self, train: list[PairExample], dev_pool: RetrievalPool, pad_id: int, pad_multiple: int,
                 scale: float = SCALE, eval_batch_size: int = 64, distill: DistillConfig | None = None):
        self.train, self.dev_pool, self.scale, self.eval_batch_size = train, dev_pool, scale, eval_batch_size
        self.distill = distill
        self.collate = partial(collate, pad_id=pad_id, pad_multiple=pad_multiple)

    def train_examples(self) -> list[PairExample]:
        return self.train

    def lengths(self) -> list[int]:
        return [len(e.query_ids) + len(e.positive_ids) for e in self.train]

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        q = sentence_embeddings(model, batch["query_input_ids"], batch["query_attention_mask"])
        p = sentence_embeddings(model, batch["positive_input_ids"], batch["positive_attention_mask"])
        n = (sentence_embeddings(model, batch["negative_input_ids"], batch["negative_attention_mask"])
             if "negative_input_ids" in batch else None)
        key = batch["positive_key"]
        if self.distill is None or "teacher_query" not in batch:
            return in_batch_negatives_loss(q, p, n, key, self.scale)
        teacher = in_batch_scores(batch["teacher_query"], batch["teacher_positive"], batch.get("teacher_negative"),
                                  key, self.scale)
        return distill_loss(in_batch_scores(q, p, n, key, self.scale), teacher, self.distill.alpha,
                            self.distill.temperature)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        return {f"dev_{k}": v for k, v in evaluate_pool(model, self.dev_pool, self.eval_batch_size).items()}
