"""Intent routing: a classifier (fine-tuned through the core) picks an intent; its answer template is
filled with slots found in the conversation.

Templates use `{slot}` or `{slot|fallback text}`; a slot missing from the conversation takes its
fallback (or a neutral phrase), never a raw brace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from shared.threads import one_thread

TEMPLATES_DIR = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class IntentGuess:
    label: str
    score: float                       # the confidence the handoff threshold is compared with
    probability: float | None = None   # the classifier's own probability, when `score` is another signal


class IntentModel(Protocol):
    labels: list[str]

    def predict(self, texts: list[str]) -> list[IntentGuess]: ...


class CoreIntentModel:
    """A classifier from the core's registry (`shared.api.load_model`)."""

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier
        self.labels = list(classifier.labels)

    @classmethod
    def load(cls, task_name: str, registry: Any = None) -> CoreIntentModel:
        from shared.api import load_model

        return cls(load_model(task_name, registry=registry) if registry is not None else load_model(task_name))

    def predict(self, texts: list[str]) -> list[IntentGuess]:
        with one_thread(len(texts)):
            predictions = self.classifier.predict(list(texts))
        return [IntentGuess(p.label, float(p.score)) for p in predictions]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        with one_thread(len(texts)):
            return np.asarray(self.classifier.predict_proba(list(texts)))

    @property
    def feature_key(self) -> tuple | None:
        """(base model, pooling, max length) for a head-only classifier, whose features are the base's."""
        return getattr(self.classifier, "feature_key", None)

    def predict_proba_with_features(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and the pooled sentence features they came from, in one encoder pass (head-only models)."""
        with one_thread(len(texts)):
            feats = np.asarray(self.classifier.features(list(texts)), dtype=np.float32)
            return np.asarray(self.classifier.predict_proba_from_features(feats)), feats


class PrototypeIntentModel:
    """Few-shot intents without training: nearest class centroid of encoder embeddings.

    For a new workspace with a handful of examples per intent, before there is enough data to fine-tune
    a classifier through the core. The score is the cosine similarity to the winning centroid.
    """

    def __init__(self, encoder: Any, examples: dict[str, list[str]]) -> None:
        if not examples or any(not texts for texts in examples.values()):
            from customer_service.errors import NoTrainingDataError

            raise NoTrainingDataError("Every intent needs at least one example sentence.")
        self.encoder = encoder
        self.labels = sorted(examples)
        cents = np.stack([encoder.encode(list(examples[label])).mean(0) for label in self.labels])
        self._centroids = cents / np.linalg.norm(cents, axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> list[IntentGuess]:
        sims = self.encoder.encode(list(texts)) @ self._centroids.T
        return [IntentGuess(self.labels[int(row.argmax())], float(row.max())) for row in sims]


# ---- templates and slots -----------------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)(?:\|([^{}]*))?\}")
_CURRENCY_WORDS = {"£": "GBP", "$": "USD", "€": "EUR", "pound": "GBP", "pounds": "GBP", "gbp": "GBP",
                   "dollar": "USD", "dollars": "USD", "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR"}
_AMOUNT = re.compile(r"(?P<pre>[£$€])\s?(?P<num>\d[\d,]*(?:\.\d{1,2})?)|(?P<num2>\d[\d,]*(?:\.\d{1,2})?)\s?"
                     r"(?P<post>pounds?|dollars?|euros?|gbp|usd|eur)\b", re.IGNORECASE)
_LAST4 = re.compile(r"\bending (?:in |with )?(\d{4})\b", re.IGNORECASE)
_DAYS = re.compile(r"\b(\d{1,3}|a|one|two|three|four|five|six|seven|ten) (day|week|month)s?\b", re.IGNORECASE)
_COUNTRY = re.compile(r"\b(?:in|to|from) (the [A-Z][a-z]+(?: [A-Z][a-z]+)?|[A-Z][a-z]{3,}(?: [A-Z][a-z]+)?)\b")


def extract_slots(texts: list[str]) -> dict[str, str]:
    """Slots from the customer's messages, latest mention winning."""
    slots: dict[str, str] = {}
    for text in texts:
        for m in _AMOUNT.finditer(text):
            num = m.group("num") or m.group("num2")
            cur = _CURRENCY_WORDS[(m.group("pre") or m.group("post")).lower()]
            slots["amount"] = f"{num} {cur}"
            slots["currency"] = cur
        if m := _LAST4.search(text):
            slots["card_last4"] = m.group(1)
            slots["card_ending"] = f" ending in {m.group(1)}"
        if m := _DAYS.search(text):
            slots["waited"] = m.group(0)
        if m := _COUNTRY.search(text):
            slots["country"] = m.group(1)
    return slots


def render_template(template: str, slots: dict[str, str]) -> str:
    def fill(m: re.Match[str]) -> str:
        value = slots.get(m.group(1))
        if value:
            return value
        return m.group(2) if m.group(2) is not None else "it"

    return _SLOT.sub(fill, template).strip()


def template_slots(template: str) -> list[str]:
    return [m.group(1) for m in _SLOT.finditer(template)]


def load_templates(name: str) -> dict[str, str]:
    """Packaged templates by file stem (e.g. `banking77`), or a path to a YAML mapping intent -> text."""
    path = Path(name) if Path(name).suffix in (".yaml", ".yml") else TEMPLATES_DIR / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v).strip() for k, v in data.items()}
