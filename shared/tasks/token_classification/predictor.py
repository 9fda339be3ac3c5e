"""Serve a registered token classifier: texts in, entity spans (type, character offsets, score) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from shared.card import ModelCard
from shared.data.batching import bucketed_batches
from shared.device import autocast, check_precision, eval_mode, pick_device
from shared.errors import DataError
from shared.modeling.pooling import mean_pool
from shared.tasks.token_classification.artifacts import load_crf, load_token_classifier
from shared.tasks.token_classification.crf import CrfBaseline
from shared.tasks.token_classification.data import words_of
from shared.tasks.token_classification.decoding import decode
from shared.tasks.token_classification.encoding import collate, encode_sentences, merge_windows
from shared.tasks.token_classification.hybrid import mix
from shared.tasks.token_classification.objective import run_token_batches
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
                 precision: str = "auto", crf: CrfBaseline | None = None):
        self.device = device or pick_device()
        self.precision = check_precision(precision)
        self.model: Any = model.to(self.device).eval()
        self.tokenizer, self.card = tokenizer, card
        self.max_length = card.hyperparameters.get("max_length", 128)
        self.stride = card.hyperparameters.get("stride", 16)
        self.decoding = card.hyperparameters.get("decoding", "argmax")  # cards from before Viterbi keep argmax
        self.crf, self.crf_weight = crf, float(card.hyperparameters.get("crf_weight", 1.0))

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
        return self._with_crf(sentences, merge_windows(examples, rows, [len(s) for s in sentences], len(self.labels)))

    def _with_crf(self, sentences: Sequence[Sequence[str]], probs: list[np.ndarray]) -> list[np.ndarray]:
        """A hybrid model's probabilities: the network's mixed with its CRF's (see `hybrid`)."""
        if self.crf is None or self.crf_weight >= 1.0:
            return probs
        return mix(probs, self.crf.marginals(sentences, self.labels), self.crf_weight)

    def predict_tags(self, sentences: Sequence[Sequence[str]], batch_size: int = 64) -> list[list[str]]:
        """BIO tags for pre-split words (how CoNLL data is evaluated)."""
        return [to_bio(t) for t in decode(self.word_probs(sentences, batch_size), self.labels, self.decoding)]

    def predict(self, texts: Sequence[str] | str, batch_size: int = 64) -> list[list[Entity]]:
        """The entities in each text, in text order."""
        texts = _check_texts(texts)
        split = [words_of(t) for t in texts]
        return self._spans(texts, split, self.word_probs([words for words, _ in split], batch_size))

    # -- one encoder pass shared with sentence classifiers -------------------------------------
    @property
    def sentence_feature_key(self) -> tuple[str, str, int] | None:
        """For head-only models (unchanged base encoder): the `feature_key` of a head-only classifier on the
        same base whose sentence features `predict_with_features` also returns."""
        if self.card.method != "head" or self.card.hyperparameters.get("case_input"):
            return None
        return (self.card.base_model, "mean", self.max_length)

    def predict_with_features(self, texts: Sequence[str], batch_size: int = 64,
                              ) -> tuple[list[list[Entity]], list[np.ndarray | None]]:
        """Entities, and each text's mean-pooled sentence features from the same encoder pass: None where the
        pass did not read exactly what a sentence classifier reads (a long text split into windows, or a
        character the two tokenisations treat differently)."""
        texts = _check_texts(texts)
        split = [words_of(t) for t in texts]
        examples = encode_sentences(self.tokenizer, [w for w, _ in split], None, self.max_length, self.stride)
        reference = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"] if texts else []
        single = {e.sentence for e in examples if e.span == (0, len(split[e.sentence][0]))}
        pooled: list[np.ndarray | None] = [None] * len(texts)
        rows: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float32)] * len(examples)
        order = bucketed_batches([len(e.input_ids) for e in examples], batch_size, shuffle=False, bucket_factor=10**9)
        with eval_mode(self.model):
            for idx in order:
                batch = {k: v.to(self.device) for k, v in collate([examples[i] for i in idx],
                                                                   self.tokenizer.pad_token_id, 8).items()}
                with autocast(self.device, self.precision):
                    states = self.model.states(batch["input_ids"], batch["attention_mask"], batch["shape_ids"])
                    probs = torch.softmax(self.model.head_logits(states, batch["shape_ids"]).float(), -1)
                    feats = mean_pool(states, batch["attention_mask"]).float()
                probs_np, feats_np = probs.cpu().numpy(), feats.cpu().numpy()
                for row, i in enumerate(idx):
                    e = examples[i]
                    rows[i] = probs_np[row, e.positions]
                    if e.sentence in single and e.input_ids == reference[e.sentence]:
                        pooled[e.sentence] = feats_np[row]
        probs_words = self._with_crf([w for w, _ in split],
                                     merge_windows(examples, rows, [len(w) for w, _ in split], len(self.labels)))
        return self._spans(texts, split, probs_words), pooled

    def _spans(self, texts: list[str], split: list[tuple[list[str], list[int]]],
               probs: list[np.ndarray]) -> list[list[Entity]]:
        labels = self.labels
        out = []
        for text, (words, starts), p in zip(texts, split, probs):
            tags = decode([p], labels, self.decoding)[0]
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
    return TokenClassifierPredictor(model, tokenizer, card, device, precision, load_crf(folder))
