"""Handoff thresholds calibrated on a dev split.

Pure functions over score arrays. A threshold must satisfy two constraints and we take the stricter:
- precision: among in-scope dev queries whose confidence clears it, at least `target_precision` are
  answered correctly (so a confident answer is rarely a wrong one);
- rejection: at least `target_rejection` of out-of-scope dev queries fall below it (so "I don't know"
  wins where it is right). Skipped when no out-of-scope examples are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    threshold: float
    coverage: float          # share of in-scope dev queries answered
    precision: float         # share of answered in-scope dev queries answered correctly
    rejection: float | None  # share of out-of-scope dev queries handed over (None: none given)

    def as_dict(self) -> dict[str, float | None]:
        return {"threshold": self.threshold, "coverage": self.coverage, "precision": self.precision,
                "rejection": self.rejection}


def precision_threshold(scores: np.ndarray, correct: np.ndarray, target_precision: float) -> float:
    """Lowest threshold whose answered set reaches `target_precision` (inf if none does)."""
    scores, correct = np.asarray(scores, dtype=float), np.asarray(correct, dtype=bool)
    if scores.size == 0:
        return float("inf")
    order = np.argsort(-scores, kind="stable")
    s, c = scores[order], correct[order]
    precision = np.cumsum(c) / np.arange(1, len(c) + 1)
    # Only cut between distinct scores: a threshold answers every query at or above it.
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    ok = np.flatnonzero((precision >= target_precision) & last_of_tie)
    return float(s[ok[-1]]) if ok.size else float("inf")


def rejection_threshold(oos_scores: np.ndarray, target_rejection: float) -> float:
    """Lowest threshold that hands over at least `target_rejection` of the out-of-scope scores."""
    oos = np.sort(np.asarray(oos_scores, dtype=float))
    if oos.size == 0:
        return float("-inf")
    # Answering needs score >= t; handing over j of n needs t above the j-th smallest score.
    j = int(np.ceil(target_rejection * oos.size))
    if j <= 0:
        return float("-inf")
    return float(np.nextafter(oos[j - 1], np.inf))


def evaluate_threshold(threshold: float, scores: np.ndarray, correct: np.ndarray,
                       oos_scores: np.ndarray | None = None) -> Calibration:
    scores, correct = np.asarray(scores, dtype=float), np.asarray(correct, dtype=bool)
    answered = scores >= threshold
    coverage = float(answered.mean()) if scores.size else 0.0
    precision = float(correct[answered].mean()) if answered.any() else 1.0
    rejection = None
    if oos_scores is not None and len(oos_scores):
        rejection = float((np.asarray(oos_scores, dtype=float) < threshold).mean())
    return Calibration(threshold=float(threshold), coverage=coverage, precision=precision, rejection=rejection)


def calibrate(scores: np.ndarray, correct: np.ndarray, oos_scores: np.ndarray | None = None, *,
              target_precision: float = 0.95, target_rejection: float = 0.9) -> Calibration:
    """The threshold meeting both targets on dev (the stricter of the two)."""
    t = precision_threshold(scores, correct, target_precision)
    if oos_scores is not None and len(oos_scores):
        t = max(t, rejection_threshold(oos_scores, target_rejection))
    if not np.isfinite(t):  # no threshold reaches the precision target: always hand over
        t = float(np.max(scores)) + 1e-6 if len(scores) else 1.0
    return evaluate_threshold(t, scores, correct, oos_scores)
