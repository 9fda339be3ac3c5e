"""Serve a registered token classifier: texts in, entity spans (type, character offsets, score) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from shared.card import ModelCard
from shared.device import check_precision, eval_mode, pick_device
from shared.errors import DataError
from shared.tasks.token_classification.artifacts import load_token_classifier
from shared.tasks.token_classification.data import words_of
from shared.tasks.token_classification.encoding import encode_sentences, merge_windows
from shared.tasks.token_classification.objective import decode, run_token_batches
from shared.tasks.token_classification.tags import bio_spans, to_bio


@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    start: int     # character offsets into the input text: text[start:end] == self.text
    end: int
    score: float   # mean probability of the predicted tags over the entity's words


class TokenClassifierPredictor:
    def __init__(self, model: torch.nn.Module, tokenizer, card: ModelCard, device: torch.device | None = None,
                 precision: str = "auto"):
        self.device = device or pick_device()
        self.precision = check_precision(precision)
        self.model = model.to(self.device).eval()
        self.tokenizer, self.card = tokenizer, card
        self.max_length = card.hyperparameters.get("max_length", 128)
        self.stride = card.hyperparameters.get("stride", 16)

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @property
    def types(self) -> list[str]:
        return sorted({lab[2:] for lab in self.labels if lab != "O"})

    def word_probs(self, sentences: Sequence[Sequence[str]], batch_size: int = 64) -> list[np.ndarray]:
        """Per sentence of words, a (words × labels) probability matrix."""
        examples = encode_sentences(self.tokenizer, sentences, None, self.max_length, self.stride)
        with eval_mode(self.model):
            rows = run_token_batches(lambda inp: torch.softmax(self.model(**inp).float(), -1), examples,
                                     self.tokenizer.pad_token_id, 8, batch_size, self.device, self.precision)
        return merge_windows(examples, rows, [len(s) for s in sentences], len(self.labels))

    def predict_tags(self, sentences: Sequence[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        """BIO tags for pre-split words (how CoNLL data is evaluated)."""
        return [to_bio(t) for t in decode(self.word_probs(sentences, batch_size), self.labels)]

    def predict(self, texts: Sequence[str] | str, batch_size: int = 64) -> list[list[Entity]]:
        """The entities in each text, in text order."""
        texts = _check_texts(texts)
        split = [words_of(t) for t in texts]
        probs = self.word_probs([words for words, _ in split], batch_size)
        labels = self.labels
        out = []
        for text, (words, starts), p in zip(texts, split, probs):
            tags = decode([p], labels)[0]
            found = []
            for first, last, kind in bio_spans(tags):
                start, end = starts[first], starts[last - 1] + len(words[last - 1])
                score = float(np.mean(p[np.arange(first, last), p[first:last].argmax(1)]))
                found.append(Entity(text[start:end], kind, start, end, score))
            out.append(found)
        return out


def _check_texts(texts: Sequence[str] | str) -> list[str]:
    if isinstance(texts, str):
        texts = [texts]
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise DataError(f"Text #{i} is a {type(t).__name__}, not a string.")
    return list(texts)


def load(folder: Path, card: ModelCard, device: torch.device | None = None,
         precision: str = "auto") -> TokenClassifierPredictor:
    model, tokenizer = load_token_classifier(folder, card)
    return TokenClassifierPredictor(model, tokenizer, card, device, precision)
