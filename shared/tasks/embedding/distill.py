"""Distillation for sentence encoders: the student learns which candidates a larger encoder ranks close.

Why: on 2 CPU cores the quality tier (mpnet, 110M parameters) takes ~80 ms to embed one query, MiniLM ~18 ms,
so a latency-bound product serves MiniLM. Fine-tuning MiniLM on the labelled pairs alone teaches it the
right answer; the teacher's scores over the same in-batch candidates also teach it how close each wrong
one is, which the pairs do not say. The teacher embeds every training text once, before training (its
scores are then a dot product per batch); the loss per batch is

    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * in-batch cross-entropy

over the same masked score matrix (cosine x scale), so a duplicate positive is excluded from both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from shared.card import ModelCard
from shared.config import DistillConfig
from shared.errors import ConfigError
from shared.registry import Registry


def load_teacher(distill: DistillConfig, registry: Registry | None, device: str) -> tuple[Any, dict[str, Any]]:
    """The teacher encoder and what the card records of it: a registered embedding model
    (NAME[@VERSION]) if the registry has that name, else a catalogue name or a model folder."""
    from shared.models.loading import load_sentence_transformer
    from shared.tasks.embedding.artifacts import load_embedder

    name, version = distill.teacher_ref()
    registry = registry or Registry()
    if name in registry.names():
        card: ModelCard = registry.card(name, version)
        if card.task != "embedding":
            raise ConfigError(f"The teacher {name!r} is a {card.task} model: distil an encoder from an embedding "
                              "model (a registered one, or a catalogue name such as mpnet).")
        return (load_embedder(registry.path(name, card.version), device=device),
                {"teacher": f"{card.name}@{card.version}", "teacher_base_model": card.base_model,
                 "teacher_metrics": card.metrics})
    if version is not None:
        raise ConfigError(f"No registered model {name!r}, so {distill.teacher!r} names no version. Register the "
                          "teacher first, or give a catalogue name (e.g. mpnet) without @VERSION.")
    return load_sentence_transformer(name, device=device), {"teacher": name, "teacher_base_model": name}


def teacher_vectors(teacher: Any, texts: Sequence[str], batch_size: int = 64) -> dict[str, np.ndarray]:
    """Unit-length teacher embeddings of each distinct text (each is embedded once)."""
    from shared.tasks.embedding.objective import encode_texts

    distinct = list(dict.fromkeys(texts))
    return dict(zip(distinct, encode_texts(teacher, distinct, batch_size)))


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, alpha: float, temperature: float) -> torch.Tensor:
    """`student`, `teacher`: (queries, candidates) scores, -inf where a candidate is masked; target i is column i."""
    hard = F.cross_entropy(student, torch.arange(student.shape[0], device=student.device))
    kept = torch.isfinite(teacher)
    log_s = F.log_softmax(student / temperature, dim=1)
    log_t = F.log_softmax(teacher / temperature, dim=1)
    # Masked columns have zero teacher mass; zero them explicitly so 0 * (-inf) never becomes nan.
    kl = torch.where(kept, log_t.exp() * (log_t - log_s), torch.zeros_like(log_s)).sum(dim=1).mean()
    return alpha * temperature ** 2 * kl + (1 - alpha) * hard
