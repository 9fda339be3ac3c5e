"""Intent blend: the classifier's vote combined with two signals the answer path already pays for.

Why: on 2 CPU cores a MiniLM intent model answers inside the 50 ms budget but plateaus under the 0.94
Banking77 target (head 0.92, full fine-tuning 0.933), and mpnet reaches it (0.941) at ~100 ms p95. Two
cheap, differently-wrong signals close the gap without another transformer pass:
- neighbours: the nearest-example confidence already scores the message against every training example;
  each intent's best cosine, softmaxed at a low temperature, is a k-nearest-neighbour vote;
- lexical: a TF-IDF (word 1-2-grams and character 2-5-grams) logistic regression, well under a
  millisecond per message, and right where the encoder is weakest (card names, currencies, typos).
The label is the argmax of log p_classifier + w_lex log p_lexical + w_nb log p_neighbours, with the weights
chosen on the dev split (bench/customer_service.py, section intents, shows the choice and the test result).
The handoff score is unchanged: the nearest-example cosine.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from customer_service.errors import NoTrainingDataError, SettingsError

EPS = 1e-9
log = logging.getLogger(__name__)
WEIGHT_GRID = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class BlendWeights:
    lexical: float = 0.0
    neighbours: float = 0.0
    temperature: float = 0.05   # of the neighbour softmax over cosines (which differ by hundredths)

    def __post_init__(self) -> None:
        if self.lexical < 0 or self.neighbours < 0 or not self.temperature > 0:
            raise SettingsError(f"Blend weights must be >= 0 and the temperature > 0; got lexical={self.lexical}, "
                                f"neighbours={self.neighbours}, temperature={self.temperature}.")

    @property
    def active(self) -> bool:
        return self.lexical > 0 or self.neighbours > 0


class LexicalIntents:
    """TF-IDF (word + character n-grams) logistic regression over the intents' training texts."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str], c: float = 20.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        if len(texts) != len(labels) or len(set(labels)) < 2:
            raise NoTrainingDataError(f"The lexical intent model needs texts with at least two labels; got "
                                      f"{len(texts)} texts, {len(set(labels))} labels.")
        features = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                              TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
        self.pipeline = make_pipeline(features, LogisticRegression(C=c, max_iter=3000))
        self.pipeline.fit(list(texts), list(labels))
        self.labels = [str(c) for c in self.pipeline.classes_]

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LexicalIntents:
        """A model around an already fitted pipeline (read back from the cache)."""
        from sklearn.pipeline import Pipeline

        if not isinstance(pipeline, Pipeline) or not hasattr(pipeline, "classes_"):
            raise SettingsError(f"Not a fitted lexical intent pipeline: {type(pipeline).__name__}.")
        model = cls.__new__(cls)
        model.pipeline = pipeline
        model.labels = [str(c) for c in pipeline.classes_]
        return model

    def predict_proba(self, texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
        """Probabilities in the column order of `labels`; an intent it never saw gets ~0."""
        proba = self.pipeline.predict_proba(list(texts))
        col = {label: j for j, label in enumerate(self.labels)}
        out = np.full((len(proba), len(labels)), EPS)
        for j, label in enumerate(labels):
            if label in col:
                out[:, j] = proba[:, col[label]]
        return out


def lexical_model(texts: Sequence[str], labels: Sequence[str], cache: Path | None = None) -> LexicalIntents:
    """A fitted lexical model, read from / written to `cache` (a folder, keyed by the training data).

    Stored with skops and read back trusting no types beyond skops' defaults (scikit-learn and numpy
    built-ins): a cache file someone else wrote cannot run code. On banking77 a refit took 111 s and a
    skops load 4.4 s (2 busy cores, 2026-12-02), so the disk cache stays.
    """
    import skops.io as sio

    if cache is None:
        return LexicalIntents(texts, labels)
    digest = hashlib.sha256("\x1f".join([*texts, "\x1e", *labels]).encode("utf-8")).hexdigest()[:24]
    path = cache / f"lexical-{digest}.skops"
    if path.exists():
        try:
            return LexicalIntents.from_pipeline(sio.load(path, trusted=None))
        except Exception as exc:  # noqa: BLE001 - a stale, foreign or untrusted cache file is rebuilt, never fatal
            log.info("rebuilding the lexical intent cache %s: %s", path.name, exc)
    model = LexicalIntents(texts, labels)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        sio.dump(model.pipeline, tmp)
        os.replace(tmp, path)  # a reader never sees half a file
    except Exception as exc:  # noqa: BLE001 - a cache that cannot be written only costs the next refit
        tmp.unlink(missing_ok=True)
        log.info("could not write the lexical intent cache %s: %s", path.name, exc)
    return model


def neighbour_proba(similarities: np.ndarray, example_labels: np.ndarray, n_labels: int,
                    temperature: float) -> np.ndarray:
    """Each intent's best cosine over its examples, softmaxed: (n texts, n labels)."""
    best = np.full((len(similarities), n_labels), -1.0)
    for j in range(n_labels):
        mask = example_labels == j
        if mask.any():
            best[:, j] = similarities[:, mask].max(1)
    z = np.exp((best - best.max(1, keepdims=True)) / temperature)
    return z / z.sum(1, keepdims=True)


def blend_scores(classifier: np.ndarray, lexical: np.ndarray | None, neighbours: np.ndarray | None,
                 weights: BlendWeights) -> np.ndarray:
    """Summed log-probabilities (argmax = the blended label)."""
    total = np.log(np.asarray(classifier) + EPS)
    if lexical is not None and weights.lexical:
        total = total + weights.lexical * np.log(lexical + EPS)
    if neighbours is not None and weights.neighbours:
        total = total + weights.neighbours * np.log(neighbours + EPS)
    return total


def choose_weights(classifier: np.ndarray, lexical: np.ndarray, neighbours: np.ndarray, gold: np.ndarray,
                   grid: Sequence[float] = WEIGHT_GRID, temperature: float = 0.05) -> tuple[BlendWeights, float]:
    """The dev split's most accurate weights (ties: the smaller total weight, i.e. closest to the classifier)."""
    best: tuple[float, float, BlendWeights] | None = None
    for lex, nb in itertools.product(grid, grid):
        weights = BlendWeights(lex, nb, temperature)
        accuracy = float((blend_scores(classifier, lexical, neighbours, weights).argmax(1) == gold).mean())
        key = (accuracy, -(lex + nb))
        if best is None or key > best[:2]:
            best = (*key, weights)
    assert best is not None
    return best[2], best[0]


@dataclass
class IntentBlend:
    """What the nearest-example scorer needs to blend: the lexical model, the examples' labels, the weights."""
    lexical: LexicalIntents | None
    example_labels: np.ndarray      # index into the classifier's labels, one per example vector
    weights: BlendWeights

    def combine(self, texts: Sequence[str], classifier_proba: np.ndarray, similarities: np.ndarray,
                labels: Sequence[str]) -> np.ndarray:
        lex = (self.lexical.predict_proba(texts, labels) if self.lexical is not None and self.weights.lexical
               else None)
        nb = (neighbour_proba(similarities, self.example_labels, len(labels), self.weights.temperature)
              if self.weights.neighbours else None)
        return blend_scores(classifier_proba, lex, nb, self.weights)


def example_label_index(example_labels: Sequence[Any], labels: Sequence[str]) -> np.ndarray:
    """Examples' labels as indices into the classifier's labels (-1: an intent the classifier lacks)."""
    col = {str(label): j for j, label in enumerate(labels)}
    return np.asarray([col.get(str(label), -1) for label in example_labels], dtype=np.int64)


def fit_blend(model: Any, encoder: Any, train_texts: Sequence[str], train_labels: Sequence[str],
              dev_texts: Sequence[str], dev_labels: Sequence[str], cache: Path | None = None,
              example_vectors: np.ndarray | None = None) -> tuple[BlendWeights, dict[str, float]]:
    """Blend weights for `model` chosen on the dev split, with the dev accuracies they were chosen by.

    `model` needs `labels` and `predict_proba`; `encoder` is the nearest-example confidence's encoder and
    the examples are the training texts (their vectors may be passed when already computed)."""
    labels = list(model.labels)
    gold = example_label_index(dev_labels, labels)
    vectors = example_vectors if example_vectors is not None else encoder.encode(list(train_texts))
    classifier = np.asarray(model.predict_proba(list(dev_texts)))
    lexical = lexical_model(train_texts, train_labels, cache).predict_proba(dev_texts, labels)
    neighbours = neighbour_proba(encoder.encode(list(dev_texts)) @ np.asarray(vectors).T,
                                 example_label_index(train_labels, labels), len(labels), BlendWeights().temperature)
    weights, accuracy = choose_weights(classifier, lexical, neighbours, gold)
    return weights, {"dev_accuracy": accuracy, "dev_accuracy_classifier": float((classifier.argmax(1) == gold).mean())}
