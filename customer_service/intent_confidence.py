"""Intent confidence for the handoff decision: cosine similarity to the nearest training example.

Why not the classifier's softmax: a softmax over the known intents must spread its mass over them even
for a message that belongs to none, and a fine-tuned head is often sure of one of them anyway. How close
the message is to anything the model was trained on separates in-scope from out-of-scope text better:
on Banking77 with 10 intents held out (bench/customer_service.py, section oos), max-softmax handed over
0.82 of the held-out intents' queries, nearest-example cosine 0.94, at the same dev precision target.

The label still comes from the classifier; only the score the threshold is compared with changes. The
example vectors are cached on disk (keyed by encoder and texts), so a console restart does not re-encode
ten thousand training queries.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from customer_service.errors import NoTrainingDataError
from customer_service.intent_blend import BlendWeights, IntentBlend, example_label_index, lexical_model
from customer_service.intents import IntentGuess, IntentModel
from shared.encoders import Encoder
from shared.errors import ConfigError
from shared.metrics import unit_rows
from shared.threads import one_thread

CONFIDENCE_KINDS = ("nearest", "softmax")


def example_vectors(encoder: Encoder, texts: list[str], cache: Path | None = None) -> np.ndarray:
    """Unit vectors of `texts`, read from / written to `cache` (a folder) when given."""
    if cache is None:
        return encoder.encode(texts)
    digest = hashlib.sha256("\x1f".join([encoder.name, *texts]).encode("utf-8")).hexdigest()[:24]
    path = cache / f"{digest}.npy"
    if path.exists():
        vecs = np.load(path)
        if vecs.shape == (len(texts), encoder.dim):
            return vecs
    vecs = np.ascontiguousarray(encoder.encode(texts), dtype=np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, vecs)
    os.replace(tmp, path)  # a reader never sees half a file
    return vecs


class NearestExampleIntents:
    """Wraps an intent model: the classifier's label, scored by the nearest training example's cosine."""

    def __init__(self, model: IntentModel, encoder: Encoder, examples: list[str],
                 vectors: np.ndarray | None = None, blend: IntentBlend | None = None) -> None:
        if not examples:
            raise NoTrainingDataError("Nearest-example confidence needs the intent model's training examples; "
                                      "got none. Set the workspace's intent_data, or use intent_confidence "
                                      "'softmax'.")
        self.model = model
        self.encoder = encoder
        self.labels = list(model.labels)
        # The label from the classifier alone, or blended with signals this pass already has (intent_blend.py).
        self.blend = blend if blend is not None and blend.weights.active and hasattr(model, "predict_proba") else None
        import torch

        vecs = vectors if vectors is not None else encoder.encode(list(examples))
        if len(vecs) != len(examples):
            raise ValueError(f"{len(examples)} examples but {len(vecs)} vectors.")
        self._vectors_t = torch.from_numpy(np.ascontiguousarray(vecs, dtype=np.float32)).T  # (dim, n), no copy

    def confidence(self, texts: list[str]) -> np.ndarray:
        """Cosine similarity of each text to its nearest training example."""
        import torch

        queries = torch.from_numpy(self.encoder.encode(list(texts)))
        with one_thread(len(texts)):
            return (queries @ self._vectors_t).max(dim=1).values.numpy()

    def predict(self, texts: list[str]) -> list[IntentGuess]:
        texts = list(texts)
        if self.blend is None and not self._shares_encoder():  # any classifier: its own guesses
            guesses, conf = self.model.predict(texts), self.confidence(texts)
            return [IntentGuess(g.label, float(c), probability=g.score) for g, c in zip(guesses, conf)]
        proba, queries = self._proba_and_queries(texts)
        with one_thread(len(texts)):
            sims = (queries @ self._vectors_t).numpy()
        scores = self.blend.combine(texts, proba, sims, self.labels) if self.blend is not None else proba
        best = scores.argmax(1)
        return [IntentGuess(self.labels[int(j)], float(row.max()), probability=float(p[j]))
                for j, row, p in zip(best, sims, proba)]

    def _proba_and_queries(self, texts: list[str]) -> tuple[np.ndarray, Any]:
        """The classifier's probabilities and the confidence encoder's query vectors (a torch tensor)."""
        import torch

        if self._shares_encoder():
            # A head-only classifier on the confidence encoder's own base: its pooled features, normalised,
            # are that encoder's embeddings, so one forward pass serves both the label and the confidence.
            proba, feats = self.model.predict_proba_with_features(texts)  # type: ignore[attr-defined]
            return proba, torch.from_numpy(unit_rows(feats))
        return np.asarray(self.model.predict_proba(texts)), torch.from_numpy(self.encoder.encode(texts))  # type: ignore[attr-defined]

    def _shares_encoder(self) -> bool:
        key = getattr(self.model, "feature_key", None)
        return key is not None and key[0] == self.encoder.name and key[1] == "mean"


def with_confidence(model: IntentModel, kind: str, encoder: Encoder | None = None,
                    examples: list[str] | None = None, cache: Path | None = None,
                    example_labels: list[str] | None = None, blend: BlendWeights | None = None) -> Any:
    """The intent model whose `.score` the handoff threshold is compared with, for confidence `kind`.

    With `blend` weights and the examples' labels, its label also takes the lexical and neighbour votes
    (intent_blend.py); the score stays the nearest-example cosine.
    """
    if kind == "softmax":
        return model
    if kind != "nearest":
        raise ConfigError(f"intent confidence must be one of {', '.join(CONFIDENCE_KINDS)}, got {kind!r}")
    if encoder is None:
        raise ConfigError("nearest-example confidence needs an encoder: pass the workspace encoder, or use 'softmax'")
    examples = list(examples or [])
    vectors = example_vectors(encoder, examples, cache) if examples else None
    mixed = None
    if blend is not None and blend.active and examples and example_labels is not None:
        if len(example_labels) != len(examples):
            raise ValueError(f"{len(examples)} examples but {len(example_labels)} labels.")
        lexical = lexical_model(examples, example_labels, cache) if blend.lexical else None
        mixed = IntentBlend(lexical, example_label_index(example_labels, model.labels), blend)
    return NearestExampleIntents(model, encoder, examples, vectors, blend=mixed)
