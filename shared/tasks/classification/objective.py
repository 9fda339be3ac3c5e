"""Training objectives for classification: end-to-end (full/topk/lora) and head-only on cached features."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from shared.config import DistillConfig
from shared.data.batching import bucketed_batches
from shared.device import autocast, eval_mode
from shared.metrics import classification_metrics
from shared.tasks.classification.data import Encoded, collate
from shared.tasks.classification.distill import distill_loss

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")


def inputs_of(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: batch[k] for k in INPUT_KEYS if k in batch}


def run_batches(fn, examples: Sequence[Encoded], pad_id: int, pad_multiple: int, batch_size: int,
                device: torch.device, precision: str = "auto") -> np.ndarray:
    """Apply `fn(inputs) -> Tensor` over length-sorted batches; rows come back in the input order."""
    order = bucketed_batches([len(e.input_ids) for e in examples], batch_size, shuffle=False,
                             bucket_factor=10**9)
    out: list[np.ndarray] = [None] * len(examples)  # type: ignore[list-item]
    for idx in order:
        batch = collate([examples[i] for i in idx], pad_id, pad_multiple)
        with autocast(device, precision):
            result = fn({k: v.to(device) for k, v in inputs_of(batch).items()})
        for i, row in zip(idx, result.float().cpu().numpy()):
            out[i] = row
    return np.stack(out) if out else np.zeros((0, 0), dtype=np.float32)


class ClassificationTask:
    primary_metric = "dev_accuracy"

    def __init__(self, train: list[Encoded], dev: list[Encoded], pad_id: int, pad_multiple: int,
                 device: torch.device, eval_batch_size: int = 128, precision: str = "auto",
                 distill: DistillConfig | None = None):
        self.train, self.dev = train, dev
        self.precision, self.distill = precision, distill
        self.pad_id, self.pad_multiple, self.device = pad_id, pad_multiple, device
        self.eval_batch_size = eval_batch_size
        self.collate = partial(collate, pad_id=pad_id, pad_multiple=pad_multiple)

    def train_examples(self) -> list[Encoded]:
        return self.train

    def lengths(self) -> list[int]:
        return [len(e.input_ids) for e in self.train]

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(**inputs_of(batch)).float()
        if self.distill is not None and "soft_labels" in batch:
            return distill_loss(logits, batch["labels"], batch["soft_labels"], self.distill.alpha,
                                self.distill.temperature)
        return F.cross_entropy(logits, batch["labels"])

    def logits(self, model: nn.Module, examples: Sequence[Encoded]) -> np.ndarray:
        with eval_mode(model):
            return run_batches(lambda inp: model(**inp), examples, self.pad_id, self.pad_multiple,
                               self.eval_batch_size, self.device, self.precision)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.dev:
            return {}
        pred = self.logits(model, self.dev).argmax(1)
        return {f"dev_{k}": v for k, v in classification_metrics([e.label for e in self.dev], pred).items()}


class FeatureTask:
    """Head-only training: the frozen encoder ran once; each epoch is a few matrix products."""

    primary_metric = "dev_accuracy"

    def __init__(self, train_x: torch.Tensor, train_y: torch.Tensor, dev_x: torch.Tensor, dev_y: torch.Tensor):
        self.train = list(zip(train_x, train_y))
        self.dev_x, self.dev_y = dev_x, dev_y

    def train_examples(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return self.train

    def lengths(self) -> list[int]:
        return [1] * len(self.train)

    @staticmethod
    def collate(examples: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        if not examples:
            return {"features": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.long)}
        return {"features": torch.stack([x for x, _ in examples]), "labels": torch.stack([y for _, y in examples])}

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(model(batch["features"]).float(), batch["labels"])

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if len(self.dev_y) == 0:
            return {}
        device = next(model.parameters()).device
        with eval_mode(model):
            pred = model(self.dev_x.to(device)).argmax(1).cpu().numpy()
        return {f"dev_{k}": v for k, v in classification_metrics(self.dev_y.numpy(), pred).items()}
