"""The feature-based baseline: a linear-chain CRF (sklearn-crfsuite) over word-shape, affix and context
features, as in the FiNER paper. Trained on the same split in the same run; measured, never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
    def __init__(self, c1: float = 0.1, c2: float = 0.1, max_iterations: int = 100):
        import sklearn_crfsuite

        self.crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=max_iterations,
                                        all_possible_transitions=True)

    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> CrfBaseline:
        self.crf.fit([sentence_features(s) for s in sentences], [list(t) for t in tags])
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [list(t) for t in self.crf.predict([sentence_features(s) for s in sentences])]
