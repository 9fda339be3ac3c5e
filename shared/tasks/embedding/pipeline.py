"""Fine-tune a sentence encoder on (query, positive[, hard negative]) pairs:
read → clean → split by pairs → measure before → train (in-batch negatives) → measure after → register.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from shared.card import ModelCard
from shared.config import DistillConfig, TrainConfig, check_method
from shared.data.splits import prepare_splits
from shared.data.tables import TableSource, fingerprint
from shared.device import pick_device
from shared.errors import ConfigError, DataError
from shared.methods import apply_lora, apply_topk, count_trainable
from shared.models.loading import load_sentence_transformer
from shared.registry import Registry, check_name
from shared.tasks.embedding.artifacts import save_embedder
from shared.tasks.embedding.data import PairExample, encode_pairs, retrieval_pool
from shared.tasks.embedding.distill import load_teacher, teacher_vectors
from shared.tasks.embedding.objective import SCALE, EmbeddingTask, evaluate_pool
from shared.training import distributed
from shared.training.trainer import Trainer, seed_everything

log = logging.getLogger(__name__)
EMBEDDING_METHODS = ("full", "topk", "lora")
METRIC_ORDER = ("recall@1", "recall@5", "recall@10", "mrr")


@dataclass
class EmbeddingResult:
    name: str
    version: str | None          # None on non-zero ranks, which never write
    model_dir: Path | None
    metrics: dict[str, Any]      # test metrics after training, plus "baseline": the same before
    report: str
    card: ModelCard


def run(data: TableSource | None, *, name: str, query_col: str = "query", positive_col: str = "positive",
        negative_col: str | None = None, model: str = "minilm", method: str = "full",
        config: TrainConfig | None = None, splits: tuple[Any, Any, Any] | None = None,
        registry: Registry | None = None, promote: bool = True, device: torch.device | None = None,
        checkpoint_dir: Path | None = None, resume: bool = False, privacy: Any = None,
        scale: float = SCALE, distill: DistillConfig | None = None) -> EmbeddingResult:
    config = config or TrainConfig()
    check_method(method)
    if method not in EMBEDDING_METHODS:
        raise ConfigError(f"Method {method!r} does not apply to embedding fine-tuning (there is no head): "
                          f"use one of {', '.join(EMBEDDING_METHODS)}.")
    if privacy is not None:
        raise ConfigError("Differential privacy is not supported for embedding fine-tuning: the in-batch-"
                          "negatives loss couples the examples of a batch, so per-example clipping does not "
                          "bound one pair's influence. Train without --dp-epsilon.")
    check_name(name)
    distributed.init_from_env()
    device = device or distributed.local_device() or pick_device()
    seed_everything(config.seed)
    text_cols = [query_col, positive_col] + ([negative_col] if negative_col else [])

    # -- data: split by pairs -------------------------------------------------------------------
    train_df, dev_df, test_df, rep = prepare_splits(data, splits, text_cols, None, config.seed,
                                                    what="a data file (or DataFrame) of pairs")
    if len(train_df) < 2:
        raise DataError(f"Only {len(train_df)} training pair(s): in-batch negatives need at least 2. Add pairs.")

    st = load_sentence_transformer(model, device=str(device))
    # The same truncation in training, evaluation and serving; never beyond what the model was trained on.
    max_length = min(config.max_length, st.max_seq_length or config.max_length)
    st.max_seq_length = max_length
    tokenizer = st.tokenizer
    train = encode_pairs(tokenizer, train_df[query_col].tolist(), train_df[positive_col].tolist(),
                         train_df[negative_col].tolist() if negative_col else None, max_length)
    teacher_info: dict[str, Any] = {}
    if distill is not None:
        teacher_info = _attach_teacher(distill, registry, train, train_df, query_col, positive_col, negative_col,
                                       str(device))
    dev_pool = retrieval_pool(dev_df, query_col, positive_col, negative_col)
    test_pool = retrieval_pool(test_df, query_col, positive_col, negative_col)
    log.info("data: %s; train/dev/test pairs = %d/%d/%d", rep.summary(), len(train), len(dev_pool), len(test_pool))

    baseline = evaluate_pool(st, test_pool)

    # -- method ---------------------------------------------------------------------------------
    encoder: Any = st[0].model  # the transformers model inside the SentenceTransformer
    if method == "topk":
        apply_topk(encoder, config.topk_layers)
    elif method == "lora":
        st[0].model = apply_lora(encoder, encoder.config.model_type, config.lora)
    n_train, n_all = count_trainable(st)
    lr = config.lr_for(method)
    log.info("method %s: %d of %d parameters train", method, n_train, n_all)

    task = EmbeddingTask(train, dev_pool, tokenizer.pad_token_id, config.pad_multiple, scale, distill=distill)
    fit = Trainer(st, task, config, lr, device, checkpoint_dir=checkpoint_dir,
                  on_epoch=lambda row: log.info("epoch %s", row)).fit(resume=resume)

    after = evaluate_pool(st, test_pool)
    report = format_comparison(baseline, after, len(test_pool), len(test_pool.candidates))
    metrics: dict[str, Any] = {**after, "baseline": baseline} if after else {}
    card = ModelCard(
        name=name, task="embedding", base_model=model, method=method,
        hyperparameters={**config.to_dict(), "lr": lr, "max_seq_length": max_length,
                         "loss": "in-batch negatives (MNRL), cosine" + (" + teacher KL" if distill else ""),
                         "scale": scale, "trainable_params": n_train, "total_params": n_all,
                         **({"distill": {**asdict(distill), **teacher_info}} if distill else {})},
        data={"fingerprint": fingerprint(train_df, text_cols), "query_col": query_col,
              "positive_col": positive_col, "negative_col": negative_col, "cleaning": rep.__dict__,
              "sizes": {"train": len(train), "dev": len(dev_pool), "test": len(test_pool),
                        "test_candidates": len(test_pool.candidates)}},
        metrics=metrics,
        training={"epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
                  "samples_per_second": round(fit.samples_per_second, 1), "history": fit.history,
                  "device": str(device), "world_size": distributed.world_size()},
        extra={"embedding_dimension": int(st.get_embedding_dimension() or 0)},
    )
    if not distributed.is_main():
        return EmbeddingResult(name, None, None, metrics, report, card)
    registry = registry or Registry()
    with registry.staging(name) as staged:
        save_embedder(staged, st)
        (staged / "evaluation.json").write_text(json.dumps({"before": baseline, "after": after}, indent=2))
        (staged / "evaluation.txt").write_text(report + "\n")
        version = registry.add(name, staged, card, promote=promote)
    return EmbeddingResult(name, version, registry.path(name, version), metrics, report, card)


def _attach_teacher(distill: DistillConfig, registry: Registry | None, train: list[PairExample],
                    train_df: Any, query_col: str, positive_col: str, negative_col: str | None,
                    device: str) -> dict[str, Any]:
    """Embed every training text with the teacher once and hang its vectors on the examples."""
    teacher, info = load_teacher(distill, registry, device)
    sides = {"query": query_col, "positive": positive_col, **({"negative": negative_col} if negative_col else {})}
    columns = {side: train_df[col].tolist() for side, col in sides.items()}
    vectors = teacher_vectors(teacher, [text for texts in columns.values() for text in texts])
    del teacher  # free the teacher before the student trains
    for i, example in enumerate(train):
        example.teacher = {side: vectors[texts[i]] for side, texts in columns.items()}
    return info


def format_comparison(before: dict[str, float], after: dict[str, float], n_queries: int, n_candidates: int) -> str:
    """The test-split retrieval metrics before and after fine-tuning, side by side."""
    if not after:
        return "(no test split: nothing to compare)"
    lines = [f"retrieval on the test split: {n_queries} queries ranked against {n_candidates} candidates",
             f"{'metric':<12}{'before':>10}{'after':>10}{'change':>10}"]
    for key in METRIC_ORDER:
        if key in after:
            b, a = before.get(key, float("nan")), after[key]
            lines.append(f"{key:<12}{b:>10.3f}{a:>10.3f}{a - b:>+10.3f}")
    return "\n".join(lines)
