"""Log-linear blends of class-probability signals, the weights chosen on a dev split.

Why: a fine-tuned classifier and cheap, differently-wrong signals (a TF-IDF model, a lexicon vote, a
frozen-feature head) often err on different rows; the product of their probabilities, each raised to a weight,
corrects some of the classifier's mistakes without another transformer pass. The first signal is the anchor
(weight 1); every other signal's weight comes from a grid, and the dev split's most accurate combination wins
(ties: the smallest total weight, i.e. the blend closest to the anchor alone). Scope: signals are given as
probability arrays over the same labels in the same column order; how each is computed is the caller's job.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.errors import ConfigError
from shared.metrics import softmax

EPS = 1e-6  # floor for a probability before its log: one confident zero must not veto the others
WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


@dataclass(frozen=True)
class Blend:
    """Signal names (the first is the anchor) and one weight each; the anchor's weight is 1."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.names or len(self.names) != len(self.weights) or len(set(self.names)) != len(self.names):
            raise ConfigError(f"A blend needs distinct signal names with one weight each; got names {self.names!r}, "
                              f"weights {self.weights!r}.")
        if any(w < 0 for w in self.weights):
            raise ConfigError(f"Blend weights must be >= 0; got {dict(zip(self.names, self.weights))}.")

    @property
    def active(self) -> tuple[str, ...]:
        """The signals that count (weight > 0): only those need computing."""
        return tuple(n for n, w in zip(self.names, self.weights) if w > 0)

    def scores(self, probas: Mapping[str, np.ndarray]) -> np.ndarray:
        """Sum of weight × log p over the active signals: (rows, labels); argmax = the blended label."""
        missing = [n for n in self.active if n not in probas]
        if missing:
            raise ConfigError(f"The blend needs the signals {missing} as well (it has {sorted(probas)}).")
        total: np.ndarray | None = None
        for name, weight in zip(self.names, self.weights):
            if weight > 0:
                part = weight * np.log(np.clip(np.asarray(probas[name], dtype=np.float64), EPS, 1.0))
                total = part if total is None else total + part
        if total is None:
            raise ConfigError("A blend with every weight at 0 scores nothing.")
        return total

    def proba(self, probas: Mapping[str, np.ndarray]) -> np.ndarray:
        """The blend as probabilities (the normalised weighted product of the signals)."""
        return softmax(self.scores(probas))

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "weights": [float(w) for w in self.weights]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Blend:
        try:
            return cls(tuple(str(n) for n in data["names"]), tuple(float(w) for w in data["weights"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"Not a stored blend (need 'names' and 'weights'): {exc}") from exc

    @property
    def digest(self) -> str:
        """Short and stable: part of a version string, so a changed blend re-scores what the old one scored."""
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:8]


def accuracy(blend: Blend, probas: Mapping[str, np.ndarray], gold: np.ndarray) -> float:
    return float((blend.scores(probas).argmax(1) == np.asarray(gold)).mean())


def choose_blend(anchor: str, probas: Mapping[str, np.ndarray], gold: Sequence[int] | np.ndarray,
                 grid: Sequence[float] = WEIGHT_GRID) -> tuple[Blend, dict[str, float]]:
    """The most accurate blend on these (dev) rows: `anchor` at weight 1, each other signal a weight from `grid`.

    Returns the blend and {"accuracy": blended, "anchor_accuracy": the anchor alone}. With k other signals the
    search tries len(grid)**k combinations, each a few array operations: keep k small (≤ 4).
    """
    if anchor not in probas:
        raise ConfigError(f"The anchor signal {anchor!r} is not among the signals {sorted(probas)}.")
    y = np.asarray(gold)
    shapes = {n: np.asarray(p).shape for n, p in probas.items()}
    if len(set(shapes.values())) != 1 or len(y) != shapes[anchor][0]:
        raise ConfigError(f"Every signal needs one row per gold label and the same labels; got shapes {shapes} "
                          f"for {len(y)} gold labels.")
    others = [n for n in probas if n != anchor]
    logs = {n: np.log(np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0)) for n, p in probas.items()}
    best: tuple[float, float, tuple[float, ...]] | None = None
    for combo in itertools.product(grid, repeat=len(others)):
        total = logs[anchor] + sum((w * logs[n] for n, w in zip(others, combo) if w > 0), np.zeros_like(logs[anchor]))
        key = (float((total.argmax(1) == y).mean()), -float(sum(combo)))
        if best is None or key > best[:2]:
            best = (*key, tuple(float(w) for w in combo))
    if best is None:  # no other signals: the anchor alone
        best = (float((logs[anchor].argmax(1) == y).mean()), 0.0, ())
    blend = Blend((anchor, *others), (1.0, *best[2]))
    return blend, {"accuracy": best[0], "anchor_accuracy": float((logs[anchor].argmax(1) == y).mean())}
