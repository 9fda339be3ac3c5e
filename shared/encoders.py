"""The one `Encoder` seam: texts → float32 rows, and the one resolver from a name to an encoder.

Every app reads sentence vectors through `Encoder`: the bot's retrieval and intent confidence, the
monitor's user topics, the recommender's text tower. `load_encoder` resolves, in order: a fine-tuned
encoder in the core's registry (`name@version`, or the current version of a registered `name`), then a
catalogue model ("minilm", "mpnet") or a local model folder. A registered encoder that cannot be loaded
is an error naming what to do, never silently replaced by the catalogue model of a similar name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from shared.errors import ModelLoadError, ModelNotFoundError
from shared.threads import one_thread

if TYPE_CHECKING:
    from shared.registry import Registry


@runtime_checkable
class Encoder(Protocol):
    """`encode` gives one float32 row per text, unit length when `normalize` (the default)."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], normalize: bool = True) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """The `Encoder` over a loaded SentenceTransformer; the factory takes the model, it does not load it.

    A call of one request's worth of texts runs on one intra-op thread (`shared.threads.one_thread`).
    """

    def __init__(self, model: Any, name: str, batch_size: int = 64) -> None:
        self.model = model
        self._name = name
        self.batch_size = batch_size
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim())
        self._last: tuple[str, bool, np.ndarray] | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str], normalize: bool = True) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One message is often encoded twice in a row (intent confidence, then retrieval): keep the last one.
        last = self._last
        if len(texts) == 1 and last is not None and last[0] == texts[0] and last[1] == normalize:
            return last[2].copy()
        with one_thread(len(texts)):
            vecs = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=normalize,
                                     convert_to_numpy=True, show_progress_bar=False)
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if len(texts) == 1:
            self._last = (texts[0], normalize, vecs.copy())
        return vecs


def load_sentence_transformer(ref: str = "minilm", registry: Registry | None = None) -> Any:
    """A SentenceTransformer for a registry `name@version` or registered name, a catalogue name or a folder."""
    from shared.registry import Registry, parse_ref

    name, version = parse_ref(ref)
    registry = registry or Registry()
    if version is not None or name in registry.names():
        return _registered(ref, name, version, registry)
    from shared.models.loading import load_sentence_transformer as load_catalogue

    return load_catalogue(ref, device="cpu")  # catalogue name or local folder; a clear error otherwise


def _registered(ref: str, name: str, version: str | None, registry: Registry) -> Any:
    from shared.api import load_model

    if name not in registry.names():
        raise ModelNotFoundError(f"No registered encoder {ref!r}: see `verticals models list`.")
    try:
        loaded = load_model(name, version=version, registry=registry)
    except Exception as exc:  # a registered name must never fall back to a different model
        raise ModelLoadError(
            f"The registered encoder {ref!r} could not be loaded ({type(exc).__name__}: {exc}). Retrain it, "
            f"roll it back with `verticals models rollback {name}`, or choose another encoder (e.g. 'minilm')."
        ) from exc
    model = getattr(loaded, "sentence_transformer", None)
    if model is None:
        task = getattr(getattr(loaded, "card", None), "task", "unknown")
        raise ModelLoadError(f"The registered model {ref!r} is a {task} model, not an encoder: choose an "
                             "embedding model (`verticals models list`) or a catalogue encoder such as 'minilm'.")
    return model


def load_encoder(ref: str = "minilm", registry: Registry | None = None,
                 batch_size: int = 64) -> SentenceTransformerEncoder:
    """The resolver: 'minilm', 'mpnet', a local folder, a registered 'name' or 'name@version'."""
    return SentenceTransformerEncoder(load_sentence_transformer(ref, registry), name=ref, batch_size=batch_size)
