"""Pairs → token ids once up front (no padding), padded per batch; and the held-out retrieval pool.

Rows that share a positive text get the same `positive_key`, so the loss never treats one query's
answer as a negative for another query with the same answer (a false negative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from shared.data.batching import pad_batch

SIDES = ("query", "positive", "negative")


@dataclass
class PairExample:
    query_ids: list[int]
    positive_ids: list[int]
    negative_ids: list[int] | None
    positive_key: int  # equal for rows whose positive text is the same
    teacher: dict[str, Any] | None = None  # per side, a teacher's embedding of that text (distillation)


def encode_pairs(tokenizer: Any, queries: Sequence[str], positives: Sequence[str],
                 negatives: Sequence[str] | None, max_length: int) -> list[PairExample]:
    def ids(texts: Sequence[str]) -> list[list[int]]:
        return tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)["input_ids"]

    q, p = ids(queries), ids(positives)
    n = ids(negatives) if negatives is not None else [None] * len(q)
    keys: dict[str, int] = {}
    return [PairExample(q[i], p[i], n[i], keys.setdefault(positives[i], len(keys))) for i in range(len(q))]


def collate(examples: Sequence[PairExample], pad_id: int, pad_multiple: int) -> dict[str, torch.Tensor]:
    batch: dict[str, torch.Tensor] = {}
    for side in SIDES:
        seqs = [getattr(e, f"{side}_ids") for e in examples]
        if seqs and seqs[0] is not None:
            batch[f"{side}_input_ids"], batch[f"{side}_attention_mask"] = pad_batch(seqs, pad_id, pad_multiple)
    batch["positive_key"] = torch.tensor([e.positive_key for e in examples], dtype=torch.long)
    teachers = [e.teacher for e in examples if e.teacher is not None]
    if teachers and len(teachers) == len(examples):
        for side in teachers[0]:
            batch[f"teacher_{side}"] = torch.from_numpy(np.stack([t[side] for t in teachers]))
    return batch


@dataclass
class RetrievalPool:
    """Held-out queries ranked against every distinct held-out candidate text."""

    queries: list[str]
    candidates: list[str]
    relevant: list[int]  # per query, the index of its positive in `candidates`

    def __len__(self) -> int:
        return len(self.queries)


def retrieval_pool(frame: pd.DataFrame, query_col: str, positive_col: str,
                   negative_col: str | None = None) -> RetrievalPool:
    index: dict[str, int] = {}
    texts = frame[positive_col].tolist() + (frame[negative_col].tolist() if negative_col else [])
    for text in texts:
        index.setdefault(text, len(index))
    return RetrievalPool(frame[query_col].tolist(), list(index), [index[t] for t in frame[positive_col]])
