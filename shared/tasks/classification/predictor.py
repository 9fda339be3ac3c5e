"""Serve a registered classifier: batched, length-sorted prediction with labels and probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shared.card import ModelCard
from shared.device import check_precision, eval_mode, pick_device
from shared.errors import ConfigError, DataError
from shared.metrics import softmax
from shared.tasks.classification.artifacts import load_classifier
from shared.tasks.classification.data import encode
from shared.tasks.classification.objective import run_batches


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float
    probs: dict[str, float]


class ClassifierPredictor:
    def __init__(self, model: torch.nn.Module, tokenizer, card: ModelCard, device: torch.device | None = None,
                 precision: str = "auto"):
        self.device = device or pick_device()
        self.precision = check_precision(precision)
        self.model: Any = model.to(self.device).eval()  # a TextClassifier or a PeftModel around one
        self.tokenizer, self.card = tokenizer, card
        self.max_length = card.hyperparameters.get("max_length", 128)

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    def predict_proba(self, texts: Sequence[str], pairs: Sequence[str] | None = None,
                      batch_size: int = 64) -> np.ndarray:
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        examples = encode(self.tokenizer, texts, pairs, None, self.max_length)
        with eval_mode(self.model):
            logits = run_batches(lambda inp: self.model(**inp), examples, self.tokenizer.pad_token_id, 8,
                                 batch_size, self.device, self.precision)
        return softmax(logits)

    # -- shared encoder passes -----------------------------------------------------------------
    @property
    def feature_key(self) -> tuple[str, str, int] | None:
        """Set for head-only models, whose encoder is the unchanged base: models with equal keys read the
        same sentence features, so one encoder pass can serve them all (see `predict_proba_from_features`)."""
        if self.card.method != "head" or self.card.hyperparameters.get("text_pair"):
            return None  # a changed encoder, or features of text pairs: nothing another model can reuse
        return (self.card.base_model, self.card.hyperparameters.get("pooling", "mean"), self.max_length)

    def features(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Pooled sentence features from the encoder, before dropout and head."""
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, self.model.head.in_features), dtype=np.float32)
        examples = encode(self.tokenizer, texts, None, None, self.max_length)
        with eval_mode(self.model):
            return run_batches(lambda inp: self.model.features(**inp), examples, self.tokenizer.pad_token_id, 8,
                               batch_size, self.device, self.precision)

    def predict_proba_from_features(self, features: np.ndarray) -> np.ndarray:
        """Probabilities from features another model with the same `feature_key` computed."""
        if self.feature_key is None:
            raise ConfigError(f"Model {self.card.name} {self.card.version} (method {self.card.method!r}"
                              f"{', text pairs' if self.card.hyperparameters.get('text_pair') else ''}) does not "
                              "read the base encoder's single-text features, so it cannot score shared features. "
                              "Call predict_proba(texts) instead.")
        feats = torch.as_tensor(np.asarray(features, dtype=np.float32), device=self.device)
        with eval_mode(self.model):
            return softmax(self.model.head(feats).float().cpu().numpy())

    def predict(self, texts: Sequence[str], pairs: Sequence[str] | None = None,
                batch_size: int = 64) -> list[Prediction]:
        probs = self.predict_proba(texts, pairs, batch_size)
        labels = self.labels
        return [Prediction(labels[int(row.argmax())], float(row.max()),
                           {lab: float(p) for lab, p in zip(labels, row)}) for row in probs]


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise DataError(f"Text #{i} is a {type(t).__name__}, not a string.")
        out.append(t if t.strip() else " ")
    return out


def load(folder: Path, card: ModelCard, device: torch.device | None = None,
         precision: str = "auto") -> ClassifierPredictor:
    model, tokenizer = load_classifier(folder, card)
    return ClassifierPredictor(model, tokenizer, card, device, precision)
