"""A text classifier: a pretrained encoder, sentence pooling, dropout and a linear head.

The head reads mean-pooled states rather than BERT's pooler, which the sentence-embedding checkpoints
in our catalogue never trained.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from shared.modeling.pooling import POOLERS


class TextClassifier(nn.Module):
    def __init__(self, encoder: Any, num_labels: int, dropout: float = 0.1, pooling: str = "mean"):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        return POOLERS[self.pooling](hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.dropout(self.features(input_ids, attention_mask, token_type_ids)))


class HeadOnly(nn.Module):
    """Dropout + the classifier's head, trained on cached sentence features (method 'head')."""

    def __init__(self, classifier: TextClassifier):
        super().__init__()
        self.dropout = classifier.dropout
        self.head = classifier.head

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(features))
