"""Tokenise once up front (no padding), then pad per batch: short texts never pay for long ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from shared.data.batching import pad_batch


@dataclass
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int] | None
    label: int = -1
    soft: list[float] | None = None  # a teacher's soft targets (distillation)


def encode(tokenizer: Any, texts: Sequence[str], pairs: Sequence[str] | None, labels: Sequence[int] | None,
           max_length: int) -> list[Encoded]:
    enc = tokenizer(list(texts), list(pairs) if pairs is not None else None, truncation=True,
                    max_length=max_length, padding=False)
    types = enc.get("token_type_ids") if pairs is not None else None
    return [Encoded(ids, types[i] if types is not None else None, labels[i] if labels is not None else -1)
            for i, ids in enumerate(enc["input_ids"])]


def collate(examples: Sequence[Encoded], pad_id: int, pad_multiple: int) -> dict[str, torch.Tensor]:
    ids, mask = pad_batch([e.input_ids for e in examples], pad_id, pad_multiple)
    batch = {"input_ids": ids, "attention_mask": mask,
             "labels": torch.tensor([e.label for e in examples], dtype=torch.long)}
    if examples[0].token_type_ids is not None:
        types, _ = pad_batch([e.token_type_ids or [] for e in examples], 0, pad_multiple)
        batch["token_type_ids"] = types
    if examples[0].soft is not None:
        batch["soft_labels"] = torch.tensor([e.soft for e in examples], dtype=torch.float32)
    return batch
