"""Training objectives for token classification: end-to-end (full/topk/lora) and head-only on cached states.
Both stop early on dev entity F1 (seqeval strict), the figure the evaluation reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from shared.data.batching import bucketed_batches
from shared.device import autocast, eval_mode
from shared.tasks.token_classification.decoding import decode
from shared.tasks.token_classification.encoding import IGNORE, TokenExample, collate, merge_windows
from shared.tasks.token_classification.evaluation import entity_report

INPUT_KEYS = ("input_ids", "attention_mask", "shape_ids")


def run_token_batches(fn: Callable[[dict[str, torch.Tensor]], torch.Tensor], examples: Sequence[TokenExample],
                      pad_id: int, pad_multiple: int, batch_size: int, device: torch.device,
                      precision: str = "auto") -> list[np.ndarray]:
    """`fn(inputs) -> (batch × tokens × d)`, read at each example's word positions; input order kept."""
    order = bucketed_batches([len(e.input_ids) for e in examples], batch_size, shuffle=False, bucket_factor=10**9)
    out: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(examples)
    for idx in order:
        batch = collate([examples[i] for i in idx], pad_id, pad_multiple)
        with autocast(device, precision):
            result = fn({k: batch[k].to(device) for k in INPUT_KEYS})
        values = result.float().cpu().numpy()
        for row, i in enumerate(idx):
            out[i] = values[row, examples[i].positions]
    return out


class TokenTask:
    primary_metric = "dev_entity_f1"

    def __init__(self, train: list[TokenExample], dev: list[TokenExample], dev_gold: list[list[str]],
                 labels: Sequence[str], pad_id: int, pad_multiple: int, device: torch.device,
                 eval_batch_size: int = 64, precision: str = "auto", decoding: str = "viterbi"):
        self.train, self.dev, self.dev_gold, self.labels = train, dev, dev_gold, list(labels)
        self.decoding = decoding
        self.pad_id, self.pad_multiple, self.device, self.precision = pad_id, pad_multiple, device, precision
        self.eval_batch_size = eval_batch_size
        self.collate = partial(collate, pad_id=pad_id, pad_multiple=pad_multiple)

    def train_examples(self) -> list[TokenExample]:
        return self.train

    def lengths(self) -> list[int]:
        return [len(e.input_ids) for e in self.train]

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = model(**{k: batch[k] for k in INPUT_KEYS}).float()
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1),
                               ignore_index=IGNORE)

    def word_probs(self, model: nn.Module, examples: Sequence[TokenExample], n_words: Sequence[int]) -> list[np.ndarray]:
        with eval_mode(model):
            rows = run_token_batches(lambda inp: torch.softmax(model(**inp).float(), -1), examples, self.pad_id,
                                     self.pad_multiple, self.eval_batch_size, self.device, self.precision)
        return merge_windows(examples, rows, n_words, len(self.labels))

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.dev:
            return {}
        pred = decode(self.word_probs(model, self.dev, [len(g) for g in self.dev_gold]), self.labels, self.decoding)
        rep = entity_report(self.dev_gold, pred, self.labels)
        return {"dev_entity_f1": rep["f1"], "dev_token_accuracy": rep["token_accuracy"]}


class TokenFeatureTask:
    """Head-only training: the frozen encoder ran once over every window; each row is one word's state."""

    primary_metric = "dev_entity_f1"

    def __init__(self, train_rows: list[tuple[torch.Tensor, int, int]], dev: list[TokenExample],
                 dev_states: list[torch.Tensor], dev_gold: list[list[str]], labels: Sequence[str],
                 decoding: str = "viterbi"):
        self.train = train_rows            # (state, shape id, label id) per labelled word
        self.dev, self.dev_states, self.dev_gold, self.labels = dev, dev_states, dev_gold, list(labels)
        self.decoding = decoding

    def train_examples(self) -> list[tuple[torch.Tensor, int, int]]:
        return self.train

    def lengths(self) -> list[int]:
        return [1] * len(self.train)

    @staticmethod
    def collate(rows: Sequence[tuple[torch.Tensor, int, int]]) -> dict[str, torch.Tensor]:
        if not rows:
            return {"states": torch.zeros(0), "shape_ids": torch.zeros(0, dtype=torch.long),
                    "labels": torch.zeros(0, dtype=torch.long)}
        return {"states": torch.stack([r[0] for r in rows]),
                "shape_ids": torch.tensor([r[1] for r in rows], dtype=torch.long),
                "labels": torch.tensor([r[2] for r in rows], dtype=torch.long)}

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(model(batch["states"], batch["shape_ids"]).float(), batch["labels"])

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        if not self.dev:
            return {}
        device = next(model.parameters()).device
        rows = []
        with eval_mode(model):
            for example, states in zip(self.dev, self.dev_states):
                shapes = torch.tensor([example.shape_ids[p] for p in example.positions], dtype=torch.long)
                logits = model(states.to(device), shapes.to(device)).float()
                rows.append(torch.softmax(logits, -1).cpu().numpy())
        probs = merge_windows(self.dev, rows, [len(g) for g in self.dev_gold], len(self.labels))
        rep = entity_report(self.dev_gold, decode(probs, self.labels, self.decoding), self.labels)
        return {"dev_entity_f1": rep["f1"], "dev_token_accuracy": rep["token_accuracy"]}
