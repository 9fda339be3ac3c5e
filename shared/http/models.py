"""Serving registered models over HTTP: predict with a classifier, embed with an embedding model.

Loaded models are kept per (name, version); a request without `version` follows the registry's current
version, so a promotion is served from the next request on. Only registered models and the catalogue's
embedding models can be named: a client can never make the server load an arbitrary folder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.auth import Identity, require
from shared.errors import ConfigError, RegistryError
from shared.registry import Registry

EMBEDDING_CATALOG = ("minilm", "mpnet")


@dataclass(frozen=True)
class LabelScore:
    label: str
    score: float
    probs: dict[str, float]


class ModelService:
    """Predict and embed for the API; `loader` and `embedder_loader` are the seams tests replace."""

    def __init__(self, registry: Registry | None = None, *, loader: Callable[..., Any] | None = None,
                 embedder_loader: Callable[[str], Any] | None = None,
                 on_load: Callable[[str, str], None] | None = None) -> None:
        self.registry = registry or Registry()
        self._loader = loader
        self._embedder_loader = embedder_loader
        self._on_load = on_load or (lambda name, version: None)
        self._models: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _load(self, name: str, version: str | None) -> tuple[Any, str]:
        version = version or self.registry.current_version(name)
        key = (name, version)
        with self._lock:  # one load per model, even when requests for it arrive together
            if key not in self._models:
                card = self.registry.card(name, version)  # unknown name/version -> RegistryError (404)
                if self._loader is None:
                    from shared.api import load_model

                    self._models[key] = load_model(name, version, registry=self.registry)
                else:
                    self._models[key] = self._loader(name, version, card)
                self._on_load(name, version)
            return self._models[key], version

    def loaded(self) -> list[tuple[str, str]]:
        return sorted(self._models)

    def predict(self, name: str, texts: list[str], version: str | None = None,
                actor: Identity | None = None) -> tuple[str, list[LabelScore]]:
        require(actor, "models.read")
        card = self.registry.card(name, version)
        if card.task != "classification":
            raise ConfigError(f"{name} {card.version} is a {card.task} model; predict needs a classification model")
        model, version = self._load(name, version)
        preds = model.predict(list(texts)) if texts else []
        return version, [LabelScore(p.label, float(p.score), {k: float(v) for k, v in p.probs.items()})
                         for p in preds]

    def embed(self, model: str, texts: list[str], actor: Identity | None = None) -> tuple[str, np.ndarray]:
        require(actor, "models.read")
        if model in EMBEDDING_CATALOG:
            key = (model, "catalog")
            with self._lock:
                if key not in self._models:
                    self._models[key] = self._embedding_catalog(model)
                    self._on_load(model, "catalog")
            return "catalog", self._models[key].encode(list(texts))
        try:
            card = self.registry.card(model)
        except RegistryError:
            raise RegistryError(f"no embedding model {model!r}: use one of {', '.join(EMBEDDING_CATALOG)} "
                                f"or a registered embedding model ({', '.join(self.registry.names()) or 'none'})") from None
        if card.task != "embedding":
            raise ConfigError(f"{model} {card.version} is a {card.task} model; embed needs an embedding model")
        predictor, version = self._load(model, None)
        return version, predictor.encode(list(texts))

    def _embedding_catalog(self, name: str) -> Any:
        if self._embedder_loader is not None:
            return self._embedder_loader(name)
        from shared.models.loading import load_sentence_transformer
        from shared.tasks.embedding.predictor import EmbeddingPredictor

        return EmbeddingPredictor(load_sentence_transformer(name, device="cpu"))
