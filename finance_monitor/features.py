"""Sharing one encoder pass between scorers: a per-round feature cache, and an encoder over a classifier.

Head-only classifiers on the same base read the same frozen sentence features (their `feature_key`
matches), and so do the user topics; computing those features once per item is what lets the whole
scoring step run at several hundred items per second on two CPU cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from shared.metrics import unit_rows

if TYPE_CHECKING:
    from finance_monitor.scoring import FeatureScorer


class FeatureCache:
    """Sentence features per (feature_key, item id) for one scoring round, so that the topic model, the
    head-only sentiment model and the user topics run the encoder once per item, not once each."""

    def __init__(self) -> None:
        self._rows: dict[tuple, dict[int, np.ndarray]] = {}

    def features(self, scorer: FeatureScorer, ids: Sequence[int], texts: Sequence[str]) -> np.ndarray:
        known = self._rows.setdefault(scorer.feature_key, {})  # type: ignore[arg-type]
        missing = [i for i, item in enumerate(ids) if item not in known]
        if missing:
            fresh = scorer.extract([texts[i] for i in missing])
            known.update({ids[i]: row for i, row in zip(missing, fresh)})
        return np.stack([known[item] for item in ids])


class EncoderFeatures:
    """The `Encoder` protocol over a head-only classifier's features: the user topics then share the
    classifiers' encoder pass instead of loading and running a second copy of MiniLM."""

    def __init__(self, classifier: Any, batch_size: int = 128) -> None:
        self.classifier, self.batch_size = classifier, batch_size
        self.feature_key = classifier.feature_key
        card = getattr(classifier, "card", None)
        self.name = f"{getattr(card, 'name', 'classifier')}@{getattr(card, 'version', '?')} features"
        self.dim = int(np.asarray(classifier.features([], batch_size=batch_size)).shape[1])

    def encode(self, texts: Sequence[str], normalize: bool = True) -> np.ndarray:
        feats = np.asarray(self.classifier.features(list(texts), batch_size=self.batch_size),
                           dtype=np.float32)
        return unit_rows(feats) if normalize else feats

