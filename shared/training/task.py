"""What the trainer needs from a task: examples, a collate, a loss and a dev evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch
from torch import nn


class TrainingTask(Protocol):
    primary_metric: str  # a dev metric where higher is better (early stopping watches it)

    def train_examples(self) -> Sequence[Any]: ...

    def lengths(self) -> Sequence[int]: ...

    def collate(self, examples: Sequence[Any]) -> dict[str, torch.Tensor]: ...

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...

    def evaluate(self, model: nn.Module) -> dict[str, float]: ...
