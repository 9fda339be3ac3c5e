"""The text interest model: one MiniLM encoder used as both towers (history text → user, item text → item).

Fine-tuned contrastively on (history as text, next item text) pairs from the training period with
in-batch negatives. Two ways:
- `finetune_with_core`: the core's embedding task (`shared.api.finetune(task="embedding")`), which
  registers the model version in the registry: what the demo and the bench use;
- `finetune`: a short local loop over sentence-transformers' MultipleNegativesRankingLoss, for tests and
  registry-less use (it also keeps a repeated item out of a batch, where it would be a false negative).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recommender.config import TextTrainConfig
from recommender.errors import RecDataError
from shared.encoders import SentenceTransformerEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def load_base_model(name_or_path: str = "minilm") -> SentenceTransformer:
    """The packaged pretrained encoder, read through the core's single loading place."""
    from shared.models.loading import load_sentence_transformer

    return load_sentence_transformer(name_or_path, device="cpu")


def history_text(item_texts: Sequence[str]) -> str:
    """Most recent item first, so truncation at the token limit drops the oldest ones."""
    return "Recently watched: " + "; ".join(reversed(list(item_texts)))


def build_pairs(interactions: pd.DataFrame, texts: dict[str, str], config: TextTrainConfig) -> pd.DataFrame:
    """(query = text of the user's previous `history_len` items, positive = text of the next item)."""
    rows: list[tuple[str, str, str]] = []
    df = interactions.sort_values(["user_id", "timestamp"], kind="stable")
    for _user, items in df.groupby("user_id", sort=False)["item_id"]:
        seq = [i for i in items if i in texts]
        for j in range(1, len(seq)):
            rows.append((_user, " | ".join(seq[max(0, j - config.history_len):j]), seq[j]))
    if not rows:
        raise RecDataError("No (history, next item) pairs: every user has a single interaction in the "
                           "training period. Use more data or an earlier validation cut-off.")
    rng = random.Random(config.seed)
    if len(rows) > config.max_pairs:
        rows = rng.sample(rows, config.max_pairs)
    return pd.DataFrame({
        "user_id": [r[0] for r in rows],
        "query": [history_text([texts[i] for i in r[1].split(" | ")]) for r in rows],
        "positive": [texts[r[2]] for r in rows],
        "item_id": [r[2] for r in rows],
    })


def _batches(pairs: pd.DataFrame, batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches in which no item is the positive twice (it would be a false in-batch negative)."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    batches: list[list[int]] = []
    open_batches: list[tuple[list[int], set[str]]] = []
    for i in order:
        item = pairs["item_id"].iat[i]
        for rows, items in open_batches:
            if item not in items:
                rows.append(i)
                items.add(item)
                break
        else:
            open_batches.append(([i], {item}))
        full = [b for b in open_batches if len(b[0]) >= batch_size]
        for b in full:
            batches.append(b[0])
            open_batches.remove(b)
        if len(open_batches) > 8:  # keep the search short; leftovers become their own batches
            batches.append(open_batches.pop(0)[0])
    batches.extend(b[0] for b in open_batches if len(b[0]) > 1)
    return batches


def finetune(model: SentenceTransformer, pairs: pd.DataFrame, config: TextTrainConfig) -> dict[str, float]:
    """Contrastive fine-tuning in place; returns {'steps', 'loss_first', 'loss_last'}."""
    import torch

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # older sentence-transformers
        from sentence_transformers.losses import MultipleNegativesRankingLoss

    if len(pairs) < 2:
        raise RecDataError(f"Need at least 2 training pairs for contrastive fine-tuning, got {len(pairs)}.")
    torch.manual_seed(config.seed)
    model.max_seq_length = config.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model)
    optim = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    model.train()
    losses: list[float] = []
    for epoch in range(config.epochs):
        for rows in _batches(pairs, config.batch_size, config.seed + epoch):
            q = model.tokenize(pairs["query"].iloc[rows].tolist())
            p = model.tokenize(pairs["positive"].iloc[rows].tolist())
            loss = loss_fn([q, p], torch.empty(0))
            optim.zero_grad()
            loss.backward()
            optim.step()
            losses.append(float(loss.detach()))
    model.eval()
    k = max(1, len(losses) // 10)
    return {"steps": float(len(losses)), "loss_first": float(np.mean(losses[:k])),
            "loss_last": float(np.mean(losses[-k:]))}


def finetune_with_core(pairs: pd.DataFrame, config: TextTrainConfig, name: str, base: str = "minilm",
                       registry: object | None = None) -> tuple[SentenceTransformer, dict[str, object]]:
    """Fine-tune through the core (registered as `name`); returns the encoder and the core's metrics."""
    from shared.api import finetune as core_finetune
    from shared.api import load_model
    from shared.config import OptimConfig, TrainConfig

    result = core_finetune(
        pairs[["query", "positive"]], task="embedding", name=name, query_col="query", positive_col="positive",
        model=base, method="full", registry=registry,
        config=TrainConfig(epochs=config.epochs, seed=config.seed, max_length=config.max_seq_length,
                           progress=False, optim=OptimConfig(lr=config.learning_rate, batch_size=config.batch_size)))
    model = load_model(name, version=result.version, registry=registry).sentence_transformer
    metrics = {"via": f"core embedding task, registry {name} {result.version}",
               "test_after": {k: v for k, v in result.metrics.items() if k != "baseline"},
               "test_before": result.metrics.get("baseline")}
    return model, metrics


class TextInterestModel(SentenceTransformerEncoder):
    """The shared encoder (`shared.encoders`) over the recommender's own text model, which it saves with
    the recommender's artifacts; one user's history on a request is one forward pass on one thread."""

    def __init__(self, model: SentenceTransformer, batch_size: int = 64, name: str = "text-interest") -> None:
        super().__init__(model, name=name, batch_size=batch_size)

    def save(self, path: Path) -> None:
        self.model.save(str(path))

    @classmethod
    def load(cls, path: Path) -> TextInterestModel:
        from sentence_transformers import SentenceTransformer

        return cls(SentenceTransformer(str(path), device="cpu"))
