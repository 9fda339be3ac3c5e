"""The feature-based CRF: a linear chain (sklearn-crfsuite) over word-shape, affix and context features, as in
the FiNER paper. Trained on the same split in the same run, it is the baseline every model is measured
against, and (`hybrid`) the second opinion a fine-tuned model's probabilities are mixed with. Stored in
CRFsuite's own binary format (plain weights, nothing executable), never pickled.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.tasks.token_classification.shapes import word_shape


def word_features(words: Sequence[str], i: int) -> dict[str, Any]:
    w = words[i]
    feats: dict[str, Any] = {
        "bias": 1.0, "lower": w.lower(), "suffix3": w[-3:].lower(), "suffix2": w[-2:].lower(),
        "prefix3": w[:3].lower(), "is_upper": w.isupper(), "is_title": w.istitle(), "is_digit": w.isdigit(),
        "shape": word_shape(w, first=i == 0), "length": min(len(w), 10),
    }
    for off in (-2, -1, 1, 2):
        j = i + off
        if 0 <= j < len(words):
            v = words[j]
            feats.update({f"{off}:lower": v.lower(), f"{off}:is_title": v.istitle(), f"{off}:is_upper": v.isupper(),
                          f"{off}:suffix3": v[-3:].lower()})
        else:
            feats[f"{off}:edge"] = True
    return feats


def sentence_features(words: Sequence[str]) -> list[dict[str, Any]]:
    return [word_features(words, i) for i in range(len(words))]


class CrfBaseline:
    def __init__(self, c1: float = 0.1, c2: float = 0.1, max_iterations: int = 100, model_file: Path | None = None):
        """A new CRF to `fit`, or (`model_file`) one saved by `save`, ready to predict."""
        import sklearn_crfsuite

        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=max_iterations,
                                        all_possible_transitions=True,
                                        model_filename=str(model_file) if model_file is not None else None)

    @classmethod
    def load(cls, path: Path) -> CrfBaseline:
        return cls(model_file=path)

    def save(self, path: Path) -> None:
        shutil.copyfile(self.crf.modelfile.name, path)

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> CrfBaseline:
        self.crf.fit([sentence_features(s) for s in sentences], [list(t) for t in tags])
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [list(t) for t in self.crf.predict([sentence_features(s) for s in sentences])]

    def marginals(self, sentences: Sequence[Sequence[str]], labels: Sequence[str]) -> list[np.ndarray]:
        """Per sentence, a (words × labels) matrix of the CRF's marginal probabilities in `labels` order (a label
        the CRF never saw in training gets 0)."""
        found = self.crf.predict_marginals([sentence_features(s) for s in sentences])
        return [np.array([[word.get(lab, 0.0) for lab in labels] for word in sentence], dtype=np.float32
                         ).reshape(len(sentence), len(labels)) for sentence in found]
