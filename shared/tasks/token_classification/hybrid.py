"""The hybrid tagger: a fine-tuned model's per-word probabilities mixed with a feature CRF's marginals.

Why: the two err differently. The CRF reads exact spellings, affixes and case of the training words (FiNER's
lenders and borrowers recur in upper case); the fine-tuned encoder reads context and generalises to unseen
names. A convex mix `w * model + (1 - w) * crf`, decoded by BIO Viterbi, keeps what each is sure of. The
weight is chosen on the dev split from a small grid (1.0 = the model alone, so the mix is never chosen unless
dev says it helps); both models are fitted on the training split only, so dev is held out for both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shared.tasks.token_classification.decoding import decode
from shared.tasks.token_classification.evaluation import entity_report

WEIGHTS = (1.0, 0.8, 0.7, 0.6, 0.5, 0.4)  # the model's share; 1.0 first so a tie keeps the model alone


def mix(model: Sequence[np.ndarray], crf: Sequence[np.ndarray], weight: float) -> list[np.ndarray]:
    """Per sentence, `weight * model + (1 - weight) * crf` (both words × labels, same label order)."""
    if weight >= 1.0:
        return list(model)
    return [weight * m + (1.0 - weight) * c for m, c in zip(model, crf)]


def choose_weight(gold: Sequence[Sequence[str]], model: Sequence[np.ndarray], crf: Sequence[np.ndarray],
                  labels: Sequence[str], decoding: str = "viterbi",
                  weights: Sequence[float] = WEIGHTS) -> tuple[float, dict[float, float]]:
    """(the weight with the best entity F1 on `gold`, entity F1 per weight tried)."""
    scores = {w: entity_report(gold, decode(mix(model, crf, w), labels, decoding), labels)["f1"] for w in weights}
    best = max(weights, key=lambda w: (scores[w], w))  # ties go to the larger model share
    return best, scores
