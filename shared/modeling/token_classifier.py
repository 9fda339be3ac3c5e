"""A token classifier: a pretrained encoder, a word-shape signal, dropout and a linear head per token.

Why the shape signal: our packaged MiniLM is uncased (its tokeniser lowercases), so capitalisation, the
strongest single cue for names, never reaches the encoder. Each sub-token carries its word's shape id
(`shapes.word_shape`: lower / Title / UPPER / digits / punctuation ..., and sentence-initial or not), which
enters twice: a learnt embedding added to the input embeddings (zero at the start, so training begins from the
unchanged pretrained encoder; the encoder learns to use case in context), and a one-hot appended to the
states the head reads (this is all a frozen-encoder, head-only model gets).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from shared.tasks.token_classification.shapes import N_SHAPES


class TokenClassifier(nn.Module):
    fresh_modules = ("head", "case_embedding")  # new parts: they take the head's learning rate

    encoder: Any  # a transformers encoder (its config, input embeddings and save_pretrained are used)

    def __init__(self, encoder: Any, num_labels: int, dropout: float = 0.1, case_input: bool = True):
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.case_input = case_input
        self.case_embedding = nn.Embedding(N_SHAPES, hidden)
        nn.init.zeros_(self.case_embedding.weight)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden + N_SHAPES, num_labels)

    def states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               shape_ids: torch.Tensor | None = None) -> torch.Tensor:
        """The encoder's last hidden states (batch × tokens × hidden)."""
        if self.case_input and shape_ids is not None:
            embeds = self.encoder.get_input_embeddings()(input_ids) + self.case_embedding(shape_ids)
            return self.encoder(inputs_embeds=embeds, attention_mask=attention_mask).last_hidden_state
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def head_logits(self, states: torch.Tensor, shape_ids: torch.Tensor) -> torch.Tensor:
        shape = F.one_hot(shape_ids, N_SHAPES).to(states.dtype)
        return self.head(torch.cat([self.dropout(states), shape], dim=-1))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                shape_ids: torch.Tensor) -> torch.Tensor:
        return self.head_logits(self.states(input_ids, attention_mask, shape_ids), shape_ids)


class TokenHeadOnly(nn.Module):
    """The classifier's head, trained on cached token states (method 'head')."""

    def __init__(self, classifier: TokenClassifier):
        super().__init__()
        self.classifier_dropout = classifier.dropout
        self.head = classifier.head

    def forward(self, states: torch.Tensor, shape_ids: torch.Tensor) -> torch.Tensor:
        shape = F.one_hot(shape_ids, N_SHAPES).to(states.dtype)
        return self.head(torch.cat([self.classifier_dropout(states), shape], dim=-1))
