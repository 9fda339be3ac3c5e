"""The steps every task pipeline shares: start → adapt (method) → fit → card record → publish to the registry.

Each task's `pipeline.run` keeps what differs (its data, model, objective, evaluation and card fields) and
calls these for the rest, so a fifth task writes only its own part.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from shared.card import ModelCard
from shared.config import TrainConfig
from shared.device import pick_device
from shared.methods import apply_lora, apply_topk, count_trainable
from shared.registry import Registry, check_name
from shared.training import distributed
from shared.training.trainer import FitResult, Trainer, seed_everything

log = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    """What every task's `run` returns; tasks subclass it to add their own fields."""
    name: str
    version: str | None          # None on non-zero ranks, which never write
    model_dir: Path | None
    metrics: dict[str, Any]
    report: str
    card: ModelCard


def start(name: str, config: TrainConfig, device: torch.device | None) -> torch.device:
    """Check the model name, join a distributed run if launched as one, pick the device and seed everything."""
    check_name(name)
    distributed.init_from_env()
    device = device or distributed.local_device() or pick_device()
    seed_everything(config.seed)
    return device


def adapt(model: nn.Module, method: str, config: TrainConfig, model_type: str, *, encoder: nn.Module | None = None,
          modules_to_save: list[str] | None = None, task_type: str | None = None) -> nn.Module:
    """Apply a non-head `method` (full, topk or lora) and return the module that trains.

    `encoder`: the transformer whose last layers `topk` leaves trainable (default: `model` itself).
    The `head` method is task-specific (it trains on precomputed features) and stays with the task.
    """
    if method == "topk":
        apply_topk(encoder if encoder is not None else model, config.topk_layers)
    elif method == "lora":
        return apply_lora(model, model_type, config.lora, modules_to_save=modules_to_save, task_type=task_type)
    return model


def trainable(model: nn.Module, method: str) -> tuple[int, int]:
    """(trainable, total) parameter counts, logged once."""
    n_train, n_all = count_trainable(model)
    log.info("method %s: %d of %d parameters train", method, n_train, n_all)
    return n_train, n_all


def fit(model: nn.Module, task: Any, config: TrainConfig, lr: float, device: torch.device, *,
        checkpoint_dir: Path | None = None, resume: bool = False, privacy: Any = None) -> FitResult:
    """One training run with the shared trainer, logging each epoch."""
    return Trainer(model, task, config, lr, device, checkpoint_dir=checkpoint_dir, privacy=privacy,
                   on_epoch=lambda row: log.info("epoch %s", row)).fit(resume=resume)


def training_record(fit: FitResult, device: torch.device, **first: Any) -> dict[str, Any]:
    """The card's `training` section; `first`: task-specific entries placed before the common ones."""
    return {**first, "epochs_run": fit.epochs_run, "best_epoch": fit.best_epoch, "stopped_early": fit.stopped_early,
            "samples_per_second": round(fit.samples_per_second, 1), "history": fit.history,
            "device": str(device), "world_size": distributed.world_size()}


def publish(name: str, card: ModelCard, save: Callable[[Path], object], evaluation: Any, report: str, *,
            registry: Registry | None, promote: bool, force: bool = False) -> tuple[str, Path] | None:
    """Write the model (`save` into the staging folder), evaluation.json/.txt and the card as the next version.

    Returns (version, folder), or None on a non-main rank, which never writes.
    """
    if not distributed.is_main():
        return None
    registry = registry or Registry()
    with registry.staging(name) as staged:
        save(staged)
        (staged / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
        (staged / "evaluation.txt").write_text(report + "\n")
        version = registry.add(name, staged, card, promote=promote, force=force)
    return version, registry.path(name, version)
