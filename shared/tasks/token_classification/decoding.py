"""Per-word label probabilities → tags. Greedy argmax, or the best *valid* BIO sequence (Viterbi).

Why constrained decoding: a token classifier scores each word alone, so its argmax can say `O I-ORG` or
`B-PER I-ORG`, which `to_bio` then repairs by guessing (an `I-` after anything else starts a new entity).
Viterbi instead picks the sequence of highest total log-probability among those where every `I-X` follows
`B-X` or `I-X`, so a weak `B-` beside a confident `I-` is fixed by its neighbours rather than split off. It
needs no training and costs O(words × labels²) per sentence, and nothing when the argmax is already valid (then
it is the best valid sequence too).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shared.errors import ConfigError
from shared.tasks.token_classification.tags import split_tag

DECODINGS = ("viterbi", "argmax")
EPS = 1e-9  # floor on probabilities before the log, so a zero (a word no window scored) stays finite


def bio_transitions(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(allowed starts (L,), allowed transitions (L × L, from → to)) of the BIO scheme over `labels`."""
    parts = [split_tag(lab) for lab in labels]
    start = np.array([prefix != "I" for prefix, _ in parts])
    allowed = np.ones((len(labels), len(labels)), dtype=bool)
    for j, (prefix, kind) in enumerate(parts):
        if prefix == "I":
            allowed[:, j] = [k == kind for _, k in parts]
    return start, allowed


def viterbi(probs: np.ndarray, labels: Sequence[str]) -> list[int]:
    """Label indices of the valid BIO sequence with the highest sum of log-probabilities."""
    return _viterbi(np.asarray(probs), *bio_transitions(labels))


def _viterbi(probs: np.ndarray, start: np.ndarray, allowed: np.ndarray) -> list[int]:
    n = len(probs)
    if n == 0:
        return []
    best = probs.argmax(1)
    if start[best[0]] and allowed[best[:-1], best[1:]].all():
        return best.tolist()  # the unconstrained best is valid, so it is the constrained best: no search
    logp = np.log(np.clip(probs.astype(np.float64), EPS, None))
    blocked = np.where(allowed, 0.0, -np.inf)
    score = np.where(start, logp[0], -np.inf)
    back = np.zeros((n, len(start)), dtype=np.int64)
    for i in range(1, n):
        total = score[:, None] + blocked          # from × to
        back[i] = total.argmax(0)
        score = total.max(0) + logp[i]
    path = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def check_decoding(method: str) -> str:
    if method not in DECODINGS:
        raise ConfigError(f"decoding must be one of {', '.join(DECODINGS)}, got {method!r}")
    return method


def decode(probs: Sequence[np.ndarray], labels: Sequence[str], method: str = "viterbi") -> list[list[str]]:
    """Tags for each sentence's (words × labels) probability matrix."""
    check_decoding(method)
    start, allowed = bio_transitions(labels)
    out: list[list[str]] = []
    for p in probs:
        if not len(p):
            out.append([])
        elif method == "argmax":
            out.append([labels[int(j)] for j in p.argmax(1)])
        else:
            out.append([labels[j] for j in _viterbi(np.asarray(p), start, allowed)])
    return out
