"""Fine-tune a classifier end to end: read → clean → split → build → train → evaluate → register."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from shared.card import ModelCard
from shared.config import DistillConfig, TrainConfig, check_method
from shared.data.labels import LabelMap
from shared.data.splits import prepare_splits
from shared.data.tables import TableSource, fingerprint
from shared.device import pick_device
from shared.errors import ConfigError, DataError
from shared.methods import apply_lora, apply_topk, count_trainable, freeze
from shared.metrics import classification_report, format_report
from shared.modeling.classifier import HeadOnly, TextClassifier
from shared.models.catalog import resolve_model
from shared.models.loading import load_encoder, load_tokenizer
from shared.registry import Registry, check_name, promotion_blocker
from shared.tasks.classification.artifacts import save_classifier
from shared.tasks.classification.baseline import (
    TfidfBaseline,
    comparison,
    evaluate_baseline,
    format_comparison,
    join_pairs,
)
from shared.tasks.classification.data import encode
from shared.tasks.classification.distill import soft_targets
from shared.tasks.classification.objective import ClassificationTask, FeatureTask, run_batches
from shared.tasks.classification.recipe import AUTO, apply_recipe, choose_recipe, recipe_record
from shared.tasks.classification.search import BudgetClock, candidates
from shared.training import distributed
from shared.training.trainer import Trainer, seed_everything

log = logging.getLogger(__name__)


@dataclass
class FinetuneResult:
    name: str
    version: str | None          # None on non-zero ranks, which never write
    model_dir: Path | None
    metrics: dict[str, Any]
    report: str
    card: ModelCard
    promoted: bool = False
    not_promoted_because: str | None = None  # set when the registry held a requested promotion back


def run(data: TableSource | None, *, name: str, text_col: str = "text", label_col: str = "label",
        text_pair_col: str | None = None, model: str = "minilm", method: str = AUTO,
        config: TrainConfig | None = None, splits: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
        registry: Registry | None = None, promote: bool = True, force: bool = False, privacy: Any = None,
        device: torch.device | None = None, checkpoint_dir: Path | None = None, resume: bool = False,
        redact_pii: bool = False, distill: DistillConfig | None = None,
        pinned: Collection[str] = (), budget_s: float | None = None) -> FinetuneResult:
    """`method="auto"` (the default) chooses method, learning rates, batch size and epochs (recipe.py),
    except the config fields named in `pinned` (and an explicit `config.optim.lr`). `promote`: make the new
    version current, which the registry refuses for a model below its TF-IDF baseline on dev unless `force`.
    `budget_s` (with auto): try the recipe's neighbours on dev within this many seconds (search.py).
    """
    config = config or TrainConfig()
    if method != AUTO:
        check_method(method)
    if budget_s is not None and (method != AUTO or checkpoint_dir is not None or privacy is not None):
        raise ConfigError("--budget searches around the auto recipe: use it with --method auto, without "
                          "checkpoints or differential privacy.")
    check_name(name)
    if privacy is not None:
        from shared.privacy.dp import check_supported

        check_supported("lora" if method == AUTO else method, None)
    distributed.init_from_env()
    device = device or distributed.local_device() or pick_device()
    seed_everything(config.seed)
    text_cols = [text_col] + ([text_pair_col] if text_pair_col else [])

    # -- data ----------------------------------------------------------------------------------
    train_df, dev_df, test_df, rep = prepare_splits(data, splits, text_cols, label_col, config.seed)
    pii_report = None
    if redact_pii:
        from shared.pii import redact_frame

        train_df, pii_report = redact_frame(train_df, text_cols)
        dev_df, _ = redact_frame(dev_df, text_cols)
        test_df, _ = redact_frame(test_df, text_cols)
    labels = LabelMap.fit(train_df[label_col])
    if len(labels) < 2:
        raise DataError(f"Column {label_col!r} has a single label {labels.labels[0]!r}: need at least two.")
    ref = resolve_model(model)
    tokenizer = load_tokenizer(ref)

    max_length = config.max_length

    def enc(frame: pd.DataFrame) -> list:
        return encode(tokenizer, frame[text_col].tolist(), frame[text_pair_col].tolist() if text_pair_col else None,
                      labels.encode(frame[label_col].tolist()), max_length)

    train, dev, test = enc(train_df), enc(dev_df), enc(test_df)
    teacher_card = None
    if distill is not None:
        if method == "head":  # (auto never picks head)
            raise ConfigError("Distillation trains the encoder's features: use method full, topk or lora, not head.")
        teacher_card, soft = _teacher_targets(distill, registry, train_df, text_col, text_pair_col, labels, device)
        for example, row in zip(train, soft):
            example.soft = row.tolist()
    log.info("data: %s; train/dev/test = %d/%d/%d", rep.summary(), len(train), len(dev), len(test))

    # -- model and method ------------------------------------------------------------------------
    encoder = load_encoder(ref)
    recipe_info: dict[str, Any] | None = None
    if method == AUTO and privacy is not None:
        # The recipe's sweeps ran without DP; under DP-SGD keep the method the DP bench measured (LoRA).
        method = "lora"
        why = "differential privacy: LoRA with its default learning rate (the recipe's sweeps ran without DP)"
        recipe_info = {"chosen": {"method": "lora", "why": [why]}}
    if method == AUTO:
        pinned = set(pinned) | ({"lr"} if config.optim.lr is not None else set())
        recipe = choose_recipe(len(train), len(labels), sum(p.numel() for p in encoder.parameters()), device.type)
        method, config = recipe.method, apply_recipe(recipe, config, pinned)
        recipe_info = recipe_record(recipe, config, pinned)
        log.info("method auto: %s", "; ".join(recipe.why))
    pad_id = tokenizer.pad_token_id

    def build_and_fit(config: TrainConfig, encoder: Any) -> tuple[Any, ...]:
        """One training run of `method` with `config` on `encoder`: the models, the task and the fit."""
        classifier = TextClassifier(encoder, len(labels), dropout=config.dropout)
        full_task = ClassificationTask(train, dev, pad_id, config.pad_multiple, device, precision=config.precision,
                                       distill=distill)
        if method == "head":
            freeze(classifier.encoder)
            classifier.to(device)
            feats = lambda ex: torch.from_numpy(run_batches(
                lambda inp: classifier.features(**inp), ex, pad_id, config.pad_multiple, 128, device,
                config.precision))
            with torch.inference_mode():
                train_x, dev_x = feats(train), feats(dev) if dev else torch.zeros(0, encoder.config.hidden_size)
            task: Any = FeatureTask(train_x.clone(), torch.tensor([e.label for e in train]), dev_x.clone(),
                                    torch.tensor([e.label for e in dev], dtype=torch.long))
            trained: torch.nn.Module = HeadOnly(classifier)
        else:
            if method == "topk":
                apply_topk(classifier.encoder, config.topk_layers)
            trained = classifier
            if method == "lora":
                trained = apply_lora(classifier, encoder.config.model_type, config.lora, modules_to_save=["head"])
            task = full_task
        n_train, n_all = count_trainable(trained)
        log.info("method %s: %d of %d parameters train", method, n_train, n_all)
        fit = Trainer(trained, task, config, config.lr_for(method), device, checkpoint_dir=checkpoint_dir,
                      privacy=privacy, on_epoch=lambda row: log.info("epoch %s", row)).fit(resume=resume)
        return classifier, trained, full_task, fit, n_train, n_all

    search_log = None
    if budget_s is None:
        classifier, trained, full_task, fit, n_train, n_all = build_and_fit(config, encoder)
    else:
        classifier, trained, full_task, fit, n_train, n_all, config, search_log = _search(
            build_and_fit, config, encoder, budget_s)
    lr = config.lr_for(method)

    # -- evaluate on the test split with the whole model -----------------------------------------
    eval_model = trained if method == "lora" else classifier
    report_dict: dict[str, Any] = {}
    if test:
        pred = full_task.logits(eval_model, test).argmax(1)
        report_dict = classification_report([e.label for e in test], pred, labels.labels)
    metrics: dict[str, Any] = {k: report_dict[k] for k in ("accuracy", "macro_f1") if k in report_dict}
    if dev:
        metrics["dev_accuracy"] = round(float(fit.best_metric), 6)
    baseline = TfidfBaseline.fit(join_pairs(train_df[text_col].tolist(), _pairs(train_df, text_pair_col)),
                                 [e.label for e in train], len(labels), seed=config.seed)
    metrics["baseline"] = evaluate_baseline(
        baseline,
        (join_pairs(dev_df[text_col].tolist(), _pairs(dev_df, text_pair_col)), [e.label for e in dev]),
        (join_pairs(test_df[text_col].tolist(), _pairs(test_df, text_pair_col)), [e.label for e in test]))
    metrics["vs_baseline"] = comparison(metrics)
    report = (format_report(report_dict) if report_dict else "(no test split)") + "\n" + format_comparison(metrics)
    card = ModelCard(
        name=name, task="classification", base_model=model, method=method,
        hyperparameters={**config.to_dict(), "lr": lr, "pooling": "mean", "text_pair": bool(text_pair_col),
                         "trainable_params": n_train, "total_params": n_all,
                         **({"distill": {**asdict(distill), "teacher": f"{teacher_card.name}@{teacher_card.version}",
                                         "teacher_base_model": teacher_card.base_model,
                                         "teacher_metrics": teacher_card.metrics}} if teacher_card and distill
                            else {})},
        labels=list(labels.labels),
        data={"fingerprint": fingerprint(train_df, [*text_cols, label_col]), "text_col": text_col,
              "text_pair_col": text_pair_col, "label_col": label_col, "cleaning": rep.__dict__,
              "sizes": {"train": len(train), "dev": len(dev), "test": len(test)},
              "pii": pii_report.to_dict() if pii_report is not None else None},
        metrics=metrics,
        training={"recipe": recipe_info, "search": search_log, "epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
                  "samples_per_second": round(fit.samples_per_second, 1), "history": fit.history,
                  "device": str(device), "world_size": distributed.world_size()},
        privacy=({**privacy.to_dict(), **(fit.privacy or {})} if privacy is not None else None),
    )
    if not distributed.is_main():
        return FinetuneResult(name, None, None, card.metrics, report, card)
    registry = registry or Registry()
    with registry.staging(name) as staged:
        save_classifier(staged, trained, tokenizer, method)
        baseline.save(staged)
        (staged / "evaluation.json").write_text(json.dumps({**report_dict, "baseline": metrics["baseline"]},
                                                           indent=2))
        (staged / "evaluation.txt").write_text(report + "\n")
        version = registry.add(name, staged, card, promote=promote, force=force)
    blocked = promotion_blocker(card) if promote and not force else None
    return FinetuneResult(name, version, registry.path(name, version), card.metrics, report, card,
                          promoted=promote and blocked is None, not_promoted_because=blocked)


def _pairs(frame: pd.DataFrame, col: str | None) -> list[str] | None:
    return frame[col].tolist() if col else None


def _teacher_targets(distill: DistillConfig, registry: Registry | None, train_df: pd.DataFrame, text_col: str,
                     text_pair_col: str | None, labels: LabelMap, device: torch.device) -> tuple[ModelCard, Any]:
    """The teacher's soft targets for the training split, computed once before training."""
    from shared.api import load_model

    name, version = distill.teacher_ref()
    teacher = load_model(name, version, registry=registry or Registry(), device=device)
    if teacher.card.task != "classification":
        raise ConfigError(f"The teacher {name!r} is a {teacher.card.task} model: distil from a classifier.")
    soft = soft_targets(teacher, train_df[text_col].tolist(),
                        train_df[text_pair_col].tolist() if text_pair_col else None, list(labels.labels),
                        distill.temperature)
    card = teacher.card
    del teacher  # free the teacher before the student trains
    return card, soft


def _search(build_and_fit: Any, config: TrainConfig, encoder: Any, budget_s: float) -> tuple[Any, ...]:
    """Train the recipe and its neighbours while the budget holds; keep the best on dev."""
    import copy
    import time

    pristine = copy.deepcopy(encoder)  # every candidate starts from the same pretrained weights
    clock = BudgetClock(budget_s)
    best: tuple[Any, ...] | None = None
    rows: list[dict[str, Any]] = []
    for i, (label, cand) in enumerate(candidates(config)):
        if i and not clock.fits_another():
            rows.append({"candidate": label, "skipped": "budget"})
            continue
        started = time.monotonic()
        result = build_and_fit(cand, encoder if i == 0 else copy.deepcopy(pristine))
        seconds = time.monotonic() - started
        clock.record(seconds)
        fit = result[3]
        rows.append({"candidate": label, "lr": cand.optim.lr, "head_lr_multiplier": cand.optim.head_lr_multiplier,
                     "dev_accuracy": round(float(fit.best_metric), 6), "epochs_run": fit.epochs_run,
                     "seconds": round(seconds, 1)})
        log.info("budget search: %s", rows[-1])
        if best is None or fit.best_metric > best[3].best_metric:
            best = (*result, cand, label)
        else:
            del result  # free the losing model before the next candidate
    assert best is not None  # the recipe itself always runs
    *chosen, cand, label = best
    return (*chosen, cand, {"budget_s": budget_s, "chosen": label, "candidates": rows})
