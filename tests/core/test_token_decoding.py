"""Decoding per-word probabilities into tags: argmax, and BIO-constrained Viterbi against a brute-force oracle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from shared.errors import ConfigError
from shared.tasks.token_classification.decoding import bio_transitions, decode, viterbi
from shared.tasks.token_classification.tags import label_set

LABELS = list(label_set(["ORG", "PER"]))  # O, B-ORG, I-ORG, B-PER, I-PER


def valid(seq: tuple[int, ...]) -> bool:
    start, allowed = bio_transitions(LABELS)
    return bool(start[seq[0]]) and all(allowed[a, b] for a, b in itertools.pairwise(seq))


def brute_force(probs: np.ndarray) -> tuple[int, ...]:
    logp = np.log(np.clip(probs, 1e-9, None))
    candidates = [s for s in itertools.product(range(len(LABELS)), repeat=len(probs)) if valid(s)]
    return max(candidates, key=lambda s: sum(logp[i, j] for i, j in enumerate(s)))


def test_viterbi_is_the_best_valid_sequence():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 5):
        for _ in range(20):
            probs = rng.dirichlet(np.ones(len(LABELS)) * 0.3, size=n)
            assert tuple(viterbi(probs, LABELS)) == brute_force(probs)


def test_an_inside_tag_after_outside_is_fixed_by_its_neighbours():
    # word 0: weakly O over B-ORG; word 1: confidently I-ORG. Argmax says `O I-ORG` (which to_bio would turn
    # into a one-word entity); Viterbi takes the whole two-word organisation.
    probs = np.array([[0.5, 0.4, 0.0, 0.1, 0.0],
                      [0.05, 0.0, 0.9, 0.0, 0.05]])
    assert decode([probs], LABELS, "argmax") == [["O", "I-ORG"]]
    assert decode([probs], LABELS, "viterbi") == [["B-ORG", "I-ORG"]]
    # an I- of another type cannot continue an entity either
    probs = np.array([[0.1, 0.0, 0.0, 0.8, 0.1], [0.1, 0.0, 0.6, 0.0, 0.3]])
    assert decode([probs], LABELS, "viterbi") == [["B-PER", "I-PER"]]


def test_empty_sentences_and_unknown_decoding():
    assert decode([np.zeros((0, len(LABELS)))], LABELS) == [[]]
    with pytest.raises(ConfigError, match="decoding must be one of viterbi, argmax, got 'beam'"):
        decode([np.ones((1, len(LABELS)))], LABELS, "beam")
