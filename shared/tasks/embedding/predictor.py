"""Serve a registered embedding model: texts → unit-length float32 vectors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.card import ModelCard
from shared.errors import DataError
from shared.tasks.embedding.artifacts import load_embedder


class EmbeddingPredictor:
    def __init__(self, sentence_transformer: Any, card: ModelCard | None = None):
        self.sentence_transformer = sentence_transformer
        self.card = card

    @property
    def dimension(self) -> int:
        return int(self.sentence_transformer.get_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 64, normalize: bool = True) -> np.ndarray:
        """(len(texts), dimension) float32; rows have unit length when `normalize`."""
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        emb = self.sentence_transformer.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                               normalize_embeddings=normalize, show_progress_bar=False)
        return np.asarray(emb, dtype=np.float32)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise DataError(f"Text #{i} is a {type(t).__name__}, not a string.")
    return list(texts)


def load(folder: Path, card: ModelCard, device: str | None = None) -> EmbeddingPredictor:
    return EmbeddingPredictor(load_embedder(Path(folder), device), card)
