"""Classification metrics on label ids: accuracy, macro-F1, per-class report and confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def classification_metrics(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> dict[str, float]:
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


def classification_report(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]) -> dict[str, Any]:
    ids = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    per_class = {label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                 for i, label in enumerate(labels)}
    return {**classification_metrics(y_true, y_pred), "n": len(y_true), "per_class": per_class,
            "confusion_matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist(), "labels": list(labels)}


def format_report(report: dict[str, Any]) -> str:
    """A plain-text evaluation report like scikit-learn's, plus the confusion matrix."""
    labels = report["labels"]
    width = max(12, *(len(lab) for lab in labels)) + 2
    lines = [f"{'':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label in labels:
        row = report["per_class"][label]
        lines.append(f"{label:<{width}}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
                     f"{row['support']:>10d}")
    lines.append("")
    lines.append(f"{'accuracy':<{width}}{report['accuracy']:>30.3f}{report['n']:>10d}")
    lines.append(f"{'macro-F1':<{width}}{report['macro_f1']:>30.3f}")
    if len(labels) <= 12:
        lines += ["", "confusion matrix (rows = true, columns = predicted):",
                  " " * width + "".join(f"{lab[:9]:>10}" for lab in labels)]
        for label, row in zip(labels, report["confusion_matrix"]):
            lines.append(f"{label:<{width}}" + "".join(f"{v:>10d}" for v in row))
    return "\n".join(lines)


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero): pooled features → cosine-ready embeddings."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
