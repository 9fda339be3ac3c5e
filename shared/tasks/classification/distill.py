"""Knowledge distillation: a small student learns a registered teacher's soft predictions as well as the labels.

Why: the quality tier (mpnet, 110M parameters) is ~5x slower to serve than MiniLM (22M). Training MiniLM on
mpnet's probabilities passes on what the teacher learnt about which classes resemble each other (the "dark
knowledge" of Hinton et al., 2015), so the fast model closes part of the gap. The teacher scores the training
split once, before training; the loss is

    alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy(student, label)

where `_T` means a softmax at temperature T. Dev and test metrics stay plain accuracy on the true labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from shared.config import DistillConfig  # noqa: F401 - re-exported for callers
from shared.errors import ConfigError


def soft_targets(teacher: Any, texts: Sequence[str], pairs: Sequence[str] | None, labels: Sequence[str],
                 temperature: float) -> np.ndarray:
    """The teacher's probabilities at `temperature`, columns in the student's label order."""
    missing = sorted(set(labels) - set(teacher.labels))
    extra = sorted(set(teacher.labels) - set(labels))
    if missing or extra:
        raise ConfigError(f"The teacher {teacher.card.name} {teacher.card.version} predicts other labels than "
                          f"this data has (only in the data: {missing}; only in the teacher: {extra}). "
                          "Distil from a teacher trained on the same label set.")
    proba = np.asarray(teacher.predict_proba(list(texts), list(pairs) if pairs is not None else None,
                                             batch_size=128), dtype=np.float64)
    proba = proba[:, [teacher.labels.index(label) for label in labels]]
    # softmax(log p / T) = p^(1/T) / sum p^(1/T); the clip keeps a zero probability from becoming -inf.
    scaled = np.exp(np.log(np.clip(proba, 1e-12, 1.0)) / temperature)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


def distill_loss(logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, alpha: float,
                 temperature: float) -> torch.Tensor:
    hard = F.cross_entropy(logits, labels)
    kl = F.kl_div(F.log_softmax(logits / temperature, dim=1), soft, reduction="batchmean")
    return alpha * temperature ** 2 * kl + (1 - alpha) * hard
