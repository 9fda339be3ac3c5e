"""Query projection: one fast query pass, scored against a larger encoder's passage vectors as well.

Why: on 2 CPU cores mpnet needs ~80 ms to embed one question, MiniLM ~18 ms, and the answer budget is
50 ms. Passages are embedded once, off the answer path, so they can afford mpnet; only the query side
must be fast. A ridge map W (least squares with an L2 penalty, closed form) carries the serving encoder's
query vector into the index encoder's space, q' = unit(q @ W), and the dense score becomes
cos(q, p) + weight * cos(q', p_index). On the construction FAQ (5-fold, bench/customer_service.py) this
recovers most of what running mpnet on the query would add (see docs/customer_service.md).

The map is fitted on texts both encoders have embedded: the passages (their cached vectors) and their
sentences, plus any known questions. A map belongs to one (serving encoder, index encoder) pair: when
either changes it is refitted, never reused. The store keeps it (one per workspace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from customer_service.errors import SettingsError
from shared.metrics import unit_rows

MIN_FIT_TEXTS = 32


@dataclass(frozen=True)
class QueryProjection:
    source: str                # the serving encoder's name (name@version for a fine-tuned one)
    target: str                # the index encoder's name
    weights: np.ndarray        # (source dim, target dim)
    n_fit: int                 # texts it was fitted on

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """Unit rows in the target space."""
        return unit_rows(np.asarray(vectors, dtype=np.float32).reshape(-1, self.weights.shape[0]) @ self.weights)

    def fits(self, source: str, target: str) -> bool:
        return (self.source, self.target) == (source, target)


def fit_projection(source_vectors: np.ndarray, target_vectors: np.ndarray, *, source: str, target: str,
                   ridge: float = 0.1) -> QueryProjection:
    """Least squares from source rows to target rows with an L2 penalty `ridge` (rows paired by text)."""
    x = np.asarray(source_vectors, dtype=np.float64)
    y = np.asarray(target_vectors, dtype=np.float64)
    if len(x) != len(y):
        raise SettingsError(f"Projection needs the same texts on both sides: {len(x)} vs {len(y)} vectors.")
    if len(x) < MIN_FIT_TEXTS:
        raise SettingsError(f"Only {len(x)} texts to fit the query projection on; need at least {MIN_FIT_TEXTS}. "
                            "Add documents to the knowledge base first, or turn index_encoder off.")
    weights = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)
    return QueryProjection(source, target, weights.astype(np.float32), len(x))


def sentences(texts: list[str], min_words: int = 4) -> list[str]:
    """The sentences of `texts` (question-length pieces of the passages: closer to what queries look like)."""
    return [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= min_words]
