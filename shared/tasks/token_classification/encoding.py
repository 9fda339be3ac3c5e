"""Sentences → model inputs: sub-word alignment, word shapes, and overlapping windows for long sentences.

Alignment: a word's label sits on its first sub-token; the others get -100 (ignored by the loss). A sentence
longer than the token limit is cut into windows of whole words that overlap by `stride` words, so an entity cut
at one window's edge is whole in the next; at prediction each word takes the label from the window where it
lies furthest from an edge (`merge_windows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from shared.data.batching import pad_batch
from shared.tasks.token_classification.shapes import word_shape

IGNORE = -100


@dataclass
class TokenExample:
    input_ids: list[int]
    shape_ids: list[int]
    labels: list[int]        # IGNORE except at `positions`
    positions: list[int]     # token index of each word's first sub-token in this window
    words: list[int]         # the sentence's word index for each position
    sentence: int            # index of the sentence in the encoded list
    span: tuple[int, int]    # the window's words [start, end)


def windows(counts: Sequence[int], budget: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) whose sub-token counts fit `budget`, consecutive ranges sharing `stride` words."""
    out: list[tuple[int, int]] = []
    start, n = 0, len(counts)
    while True:
        end, total = start, 0
        while end < n and (total + counts[end] <= budget or end == start):
            total += counts[end]
            end += 1
        out.append((start, end))
        if end >= n:
            return out
        start = max(start + 1, end - stride)


def encode_sentences(tokenizer: Any, sentences: Sequence[Sequence[str]], labels: Sequence[Sequence[int]] | None,
                     max_length: int, stride: int) -> list[TokenExample]:
    """Encode word lists (with label ids per word, or None at prediction) into windowed examples."""
    if not sentences:
        return []
    enc = tokenizer([list(s) for s in sentences], is_split_into_words=True, add_special_tokens=False,
                    truncation=False, padding=False, verbose=False)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    budget = max_length - 2
    out: list[TokenExample] = []
    for si, words in enumerate(sentences):
        ids, word_ids = enc["input_ids"][si], enc.word_ids(si)
        pieces: list[list[int]] = [[] for _ in words]
        for tok, wi in zip(ids, word_ids):
            if wi is not None:
                pieces[wi].append(tok)
        shapes = [word_shape(w, first=i == 0) for i, w in enumerate(words)]
        for start, end in windows([len(p) for p in pieces], budget, stride):
            input_ids, shape_ids, lab, positions, widx = [cls_id], [0], [IGNORE], [], []
            for wi in range(start, end):
                piece = pieces[wi][:budget]  # one word longer than the whole limit keeps its start
                if not piece:
                    continue  # a word the tokenizer drops (control characters): predicted O
                positions.append(len(input_ids))
                widx.append(wi)
                lab += [labels[si][wi] if labels is not None else IGNORE] + [IGNORE] * (len(piece) - 1)
                input_ids += piece
                shape_ids += [shapes[wi]] * len(piece)
            input_ids.append(sep_id)
            shape_ids.append(0)
            lab.append(IGNORE)
            out.append(TokenExample(input_ids, shape_ids, lab, positions, widx, si, (start, end)))
    return out


def collate(examples: Sequence[TokenExample], pad_id: int, pad_multiple: int) -> dict[str, torch.Tensor]:
    ids, mask = pad_batch([e.input_ids for e in examples], pad_id, pad_multiple)
    shapes, _ = pad_batch([e.shape_ids for e in examples], 0, pad_multiple)
    labels = torch.full(ids.shape, IGNORE, dtype=torch.long)
    for row, e in enumerate(examples):
        labels[row, : len(e.labels)] = torch.as_tensor(e.labels, dtype=torch.long)
    return {"input_ids": ids, "attention_mask": mask, "shape_ids": shapes, "labels": labels}


def merge_windows(examples: Sequence[TokenExample], rows: Sequence[np.ndarray], n_words: Sequence[int],
                  n_labels: int) -> list[np.ndarray]:
    """Per-sentence (words × labels) probabilities from per-window rows (one row per position). Each word keeps
    the row from the window where it is furthest from an edge; words no window scored stay all-zero (→ O)."""
    out = [np.zeros((n, n_labels), dtype=np.float32) for n in n_words]
    best = [np.full(n, -1.0) for n in n_words]
    for example, probs in zip(examples, rows):
        start, end = example.span
        for wi, row in zip(example.words, probs):
            margin = min(wi - start, end - 1 - wi)
            if margin > best[example.sentence][wi]:
                best[example.sentence][wi] = margin
                out[example.sentence][wi] = row
    return out
