"""The answer-token loss and perplexity; the training task the core's Trainer runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from shared.data.batching import bucketed_batches
from shared.device import autocast, eval_mode
from shared.tasks.generation.data import IGNORE, QAExample, collate


def answer_nll(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(summed negative log-likelihood, number of answer tokens): position t predicts label t+1."""
    shifted = logits[:, :-1].float().reshape(-1, logits.shape[-1])
    targets = labels[:, 1:].reshape(-1)
    total = F.cross_entropy(shifted, targets, ignore_index=IGNORE, reduction="sum")
    return total, (targets != IGNORE).sum()


def batch_nll(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return answer_nll(logits, batch["labels"])


def perplexity(model: nn.Module, examples: Sequence[QAExample], pad_id: int, pad_multiple: int,
               batch_size: int, device: torch.device) -> float:
    """exp(mean NLL per answer token) over all examples (token-weighted, not a mean of per-row values)."""
    if not examples:
        return float("nan")
    total, count = 0.0, 0
    order = bucketed_batches([len(e.input_ids) for e in examples], batch_size, shuffle=False, bucket_factor=10**9)
    with eval_mode(model):
        for idx in order:
            batch = {k: v.to(device) for k, v in collate([examples[i] for i in idx], pad_id, pad_multiple).items()}
            with autocast(device):
                nll, n = batch_nll(model, batch)
            total, count = total + float(nll), count + int(n)
    return math.exp(total / max(1, count))


class GenerationTask:
    # Lower perplexity is better; the Trainer's early stopping wants higher-is-better, hence the sign.
    primary_metric = "dev_neg_perplexity"

    def __init__(self, train: list[QAExample], dev: list[QAExample], pad_id: int, pad_multiple: int,
                 device: torch.device, eval_batch_size: int = 8):
        self.train, self.dev, self.pad_id, self.pad_multiple = train, dev, pad_id, pad_multiple
        self.device, self.eval_batch_size = device, eval_batch_size
        self.collate = partial(collate, pad_id=pad_id, pad_multiple=pad_multiple)

    def train_examples(self) -> list[QAExample]:
        return self.train

    def lengths(self) -> list[int]:
        return [len(e.input_ids) for e in self.train]

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        nll, n = batch_nll(model, batch)
        return nll / n.clamp(min=1)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.dev:
            return {}
        ppl = perplexity(model, self.dev, self.pad_id, self.pad_multiple, self.eval_batch_size, self.device)
        return {"dev_perplexity": ppl, "dev_neg_perplexity": -ppl}
