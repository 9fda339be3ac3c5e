"""The baseline every classifier must beat: TF-IDF + logistic regression on the very same splits.

Trained in seconds beside each fine-tune, scored on the same dev and test rows, and stored with the model
(`baseline.json` for the vocabulary, `baseline.safetensors` for the weights: nothing read back runs code),
so a report can always say how much the fine-tune is worth. Prediction after loading is plain sparse
algebra (counts → sublinear tf → idf → L2 → linear scores), which reproduces scikit-learn's exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.metrics import classification_metrics

NAME = "tfidf+logreg"
JSON_FILE = "baseline.json"
WEIGHTS_FILE = "baseline.safetensors"
# The setting bench/quality.py has measured since the start (FPB test 0.777, Banking77 0.887).
NGRAMS = (1, 2)
C = 10.0
PAIR_JOIN = " [SEP] "
MIN_DEV_ROWS = 50  # the promotion gate needs at least this many dev rows to compare on


def join_pairs(texts: Sequence[str], pairs: Sequence[str] | None) -> list[str]:
    """A pair of texts as one string: the baseline has no notion of segments."""
    if pairs is None:
        return list(texts)
    return [f"{a}{PAIR_JOIN}{b}" for a, b in zip(texts, pairs)]


@dataclass
class TfidfBaseline:
    vocabulary: dict[str, int]
    idf: np.ndarray            # (n_terms,)
    coef: np.ndarray           # (n_classes, n_terms); one row for two classes (binary logistic regression)
    intercept: np.ndarray      # (n_classes,) or (1,)
    n_classes: int

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], n_classes: int, seed: int = 42) -> TfidfBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vec = TfidfVectorizer(ngram_range=NGRAMS, sublinear_tf=True)
        x = vec.fit_transform(list(texts))
        y = np.asarray(labels)
        classes = np.unique(y)
        clf = LogisticRegression(max_iter=2000, C=C, random_state=seed).fit(x, y)
        coef, intercept = clf.coef_, clf.intercept_
        if len(classes) == 2:  # binary: one row scores the second class against the first
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.r_[0.0, intercept]
        # Labels absent from the training rows (they never are in the pipeline) could never be predicted.
        full_coef = np.full((n_classes, x.shape[1]), 0.0)
        full_int = np.full(n_classes, -1e9)
        full_coef[classes], full_int[classes] = coef, intercept
        return cls({t: int(i) for t, i in vec.vocabulary_.items()}, vec.idf_.astype(np.float64),
                   full_coef.astype(np.float32), full_int.astype(np.float64), n_classes)

    def transform(self, texts: Sequence[str]) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        counts = CountVectorizer(ngram_range=NGRAMS, vocabulary=self.vocabulary).transform(list(texts))
        counts = counts.astype(np.float64)
        counts.data = np.log(counts.data) + 1.0  # sublinear tf
        return normalize(counts.multiply(self.idf).tocsr(), norm="l2")

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.n_classes))
        return np.asarray(self.transform(texts) @ self.coef.astype(np.float64).T) + self.intercept

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.scores(texts).argmax(1)

    # -- storage: JSON + safetensors, never pickle -----------------------------------------------
    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        (folder / JSON_FILE).write_text(json.dumps({"name": NAME, "ngram_range": list(NGRAMS), "C": C,
                                                    "n_classes": self.n_classes, "vocabulary": self.vocabulary}))
        save_file({"idf": self.idf, "coef": np.ascontiguousarray(self.coef), "intercept": self.intercept},
                  str(folder / WEIGHTS_FILE))

    @classmethod
    def load(cls, folder: Path) -> TfidfBaseline | None:
        """The stored baseline, or None for a model saved before baselines were kept."""
        if not (folder / JSON_FILE).exists():
            return None
        from safetensors.numpy import load_file

        meta = json.loads((folder / JSON_FILE).read_text())
        arrays = load_file(str(folder / WEIGHTS_FILE))
        return cls(meta["vocabulary"], arrays["idf"], arrays["coef"], arrays["intercept"], int(meta["n_classes"]))


def evaluate_baseline(baseline: TfidfBaseline, dev: tuple[Sequence[str], Sequence[int]] | None,
                      test: tuple[Sequence[str], Sequence[int]] | None) -> dict[str, Any]:
    """{"model": NAME, "accuracy", "macro_f1" (test), "dev_accuracy", "dev_macro_f1"}: what the card keeps."""
    out: dict[str, Any] = {"model": NAME}
    if test is not None and len(test[0]):
        out.update(classification_metrics(test[1], baseline.predict(test[0]).tolist()))
    if dev is not None and len(dev[0]):
        out.update({f"dev_{k}": v for k, v in classification_metrics(dev[1], baseline.predict(dev[0]).tolist()).items()})
        out["dev_n"] = len(dev[0])
    return out


def comparison(metrics: dict[str, Any]) -> dict[str, float]:
    """Model minus baseline, per measured split: {"accuracy": +0.06, "dev_accuracy": +0.01, ...}."""
    base = metrics.get("baseline") or {}
    return {k: round(float(metrics[k]) - float(base[k]), 4)
            for k in ("accuracy", "macro_f1", "dev_accuracy") if k in metrics and k in base}


def loses_to_baseline(metrics: dict[str, Any]) -> str | None:
    """Why the model may not be promoted (its dev accuracy is below the baseline's), else None.

    Below MIN_DEV_ROWS dev rows one answer moves accuracy by several points: no evidence either way.
    """
    base = metrics.get("baseline") or {}
    if "dev_accuracy" not in metrics or "dev_accuracy" not in base:
        return None  # nothing measured on dev: no evidence either way
    if int(base.get("dev_n", MIN_DEV_ROWS)) < MIN_DEV_ROWS:
        return None
    if float(metrics["dev_accuracy"]) < float(base["dev_accuracy"]):
        return (f"dev accuracy {metrics['dev_accuracy']:.3f} is below the TF-IDF + logistic regression "
                f"baseline's {base['dev_accuracy']:.3f} on the same dev split")
    return None


def format_comparison(metrics: dict[str, Any]) -> str:
    """The lines a report ends with: model, baseline and difference on dev and test."""
    base = metrics.get("baseline")
    if not base:
        return "baseline: not measured for this model"
    cols = [(k, label) for k, label in (("dev_accuracy", "dev acc"), ("accuracy", "test acc"),
                                        ("macro_f1", "test macro-F1")) if k in base and k in metrics]
    if not cols:
        return "baseline: no dev or test split to compare on"
    diff = comparison(metrics)
    width = 26
    lines = ["", "vs baseline (TF-IDF + logistic regression, same training split):",
             f"{'':<{width}}" + "".join(f"{label:>15}" for _, label in cols),
             f"{'this model':<{width}}" + "".join(f"{metrics[k]:>15.3f}" for k, _ in cols),
             f"{'TF-IDF + logistic regr.':<{width}}" + "".join(f"{base[k]:>15.3f}" for k, _ in cols),
             f"{'difference':<{width}}" + "".join(f"{diff[k]:>+15.3f}" for k, _ in cols)]
    return "\n".join(lines)


def short_comparison(metrics: dict[str, Any]) -> str:
    """One phrase for lists and sidebars: 'vs TF-IDF+LR +0.060 test, +0.010 dev'."""
    diff = comparison(metrics)
    parts = [f"{diff[k]:+.3f} {label}" for k, label in (("accuracy", "test"), ("dev_accuracy", "dev")) if k in diff]
    return f"vs TF-IDF+LR {', '.join(parts)}" if parts else ""
