"""The dense encoder seam: anything with `name`, `dim` and `encode(texts) -> unit-norm float32 rows`.

`load_encoder` resolves, in order: a fine-tuned encoder in the core's registry (`name@version` or the
current version of `name`), then a catalogue model or local folder through the core's loader.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from customer_service.cpu import one_thread
from shared.errors import ConfigError, ModelNotFoundError, RegistryError


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """Wraps a loaded SentenceTransformer; the factory takes the model, it does not load it."""

    def __init__(self, model: Any, name: str, batch_size: int = 64) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._last: tuple[str, np.ndarray] | None = None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One message is often encoded twice in a row (intent confidence, then retrieval): keep the last one.
        last = self._last
        if len(texts) == 1 and last is not None and last[0] == texts[0]:
            return last[1].copy()
        with one_thread(len(texts)):
            vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if len(texts) == 1:
            self._last = (texts[0], vecs.copy())
        return vecs


def load_sentence_transformer(name: str = "minilm") -> Any:
    """A SentenceTransformer for a registry `name@version` or task name, catalogue name or local folder."""
    from customer_service.tuning import parse_ref

    task, version = parse_ref(name)
    try:  # a fine-tuned encoder registered through the core's embedding task
        from shared.api import load_model

        loaded = load_model(task, version=version)
        model = getattr(loaded, "sentence_transformer", None)
        if model is not None:
            return model
    except (ConfigError, RegistryError, ModelNotFoundError, FileNotFoundError):
        if version is not None:
            raise ModelNotFoundError(f"No registered encoder {name!r}: see `verticals models list`.") from None
    from shared.models.loading import load_sentence_transformer as core_loader

    return core_loader(name, device="cpu")  # catalogue name or local folder; a clear error otherwise


def load_encoder(name: str = "minilm") -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(load_sentence_transformer(name), name=name)
