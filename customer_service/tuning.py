"""Fine-tune the retrieval encoder on (question, answer) pairs.

Goes through the core's embedding task (`shared.api.finetune(task="embedding")`, issue 3) when it is
available; otherwise runs a small in-batch-negatives (MultipleNegativesRankingLoss) loop on the
sentence-transformers model here, so the bot's feedback loop and the bench work either way.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd

from customer_service.errors import NoTrainingDataError


def core_embedding_available() -> bool:
    try:
        import importlib

        importlib.import_module("shared.tasks.embedding.pipeline")
        return True
    except ImportError:
        return False


def mnrl_finetune(model: Any, queries: list[str], positives: list[str], *, epochs: int = 3, batch_size: int = 32,
                  lr: float = 3e-5, scale: float = 20.0, seed: int = 42, max_length: int = 256) -> Any:
    """In-place in-batch-negatives fine-tuning of a SentenceTransformer; returns the model (eval mode).

    Each query's own positive is the target among all positives of the batch (cross-entropy over scaled
    cosine similarities), the MultipleNegativesRankingLoss of sentence-transformers.
    """
    import torch
    import torch.nn.functional as F

    if len(queries) != len(positives) or len(queries) < 2:
        raise NoTrainingDataError(f"Need at least 2 (query, positive) pairs of equal count, got "
                                  f"{len(queries)} and {len(positives)}.")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    old_max = model.max_seq_length
    model.max_seq_length = max_length
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    order = list(range(len(queries)))
    steps = epochs * ((len(order) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) *
                                              max(0.0, 1 - s / steps))
    device = next(model.parameters()).device

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        features = {k: (v.to(device) if hasattr(v, "to") else v) for k, v in features.items()}
        return F.normalize(model(features)["sentence_embedding"], dim=-1)

    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            if len(batch) < 2:
                continue
            q = embed([queries[i] for i in batch])
            p = embed([positives[i] for i in batch])
            logits = scale * q @ p.T
            # Duplicate positives in a batch are not negatives of each other.
            same = torch.tensor([[positives[i] == positives[j] for j in batch] for i in batch], device=device)
            logits = logits.masked_fill(same & ~torch.eye(len(batch), dtype=torch.bool, device=device), -1e4)
            loss = F.cross_entropy(logits, torch.arange(len(batch), device=device))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
    model.eval()
    model.max_seq_length = old_max
    return model


def finetune_encoder(pairs: pd.DataFrame, *, base: str = "minilm", name: str | None = None,
                     out_dir: Path | None = None, epochs: int = 3, registry: Any = None) -> str:
    """Fine-tune `base` on pairs (`question`, `answer`); returns what `load_encoder` accepts next.

    With the core's embedding task: registers `name` and returns it. Otherwise saves the model to
    `out_dir` and returns that folder.
    """
    pairs = pairs.dropna(subset=["question", "answer"])
    if len(pairs) < 8:
        raise NoTrainingDataError(f"Only {len(pairs)} (question, answer) pairs; need at least 8 to fine-tune "
                                  "the encoder. Let agents answer more questions first.")
    if core_embedding_available() and name:
        from shared.api import finetune

        kwargs = {"registry": registry} if registry is not None else {}
        finetune(pairs, task="embedding", name=name, query_col="question", positive_col="answer", model=base, **kwargs)
        return name
    from customer_service.encoder import load_sentence_transformer

    if out_dir is None:
        raise NoTrainingDataError("No output folder for the fine-tuned encoder.")
    model = load_sentence_transformer(base)
    mnrl_finetune(model, pairs["question"].tolist(), pairs["answer"].tolist(), epochs=epochs)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    model.save(str(tmp))
    tmp.rename(out_dir)  # a half-written model folder is never picked up
    return str(out_dir)
