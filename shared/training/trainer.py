"""The training loop. It orchestrates: batching, optimisation, early stopping, checkpoints and the
(optional) privacy engine each live in their own module; the task supplies examples, loss and metrics.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from shared.config import TrainConfig
from shared.data.batching import bucketed_batches, shard
from shared.device import autocast
from shared.training import distributed
from shared.training.attention import training_attention
from shared.training.checkpoint import load_checkpoint, save_checkpoint
from shared.training.early_stopping import EarlyStopping, trainable_state
from shared.training.optim import build_optimizer, build_scheduler
from shared.training.task import TrainingTask

log = logging.getLogger(__name__)
LOG_EVERY = 20  # steps between reading the loss back from the device (each read is a sync)


@dataclass
class FitResult:
    best_metric: float
    best_epoch: int
    epochs_run: int
    stopped_early: bool
    history: list[dict[str, float]] = field(default_factory=list)
    samples_per_second: float = 0.0
    spent_epsilon: float | None = None
    privacy: dict[str, float | None] | None = None   # resolved δ, noise multiplier, sample rate, ε spent


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    def __init__(self, model: nn.Module, task: TrainingTask, config: TrainConfig, lr: float,
                 device: torch.device, checkpoint_dir: Path | None = None, privacy: Any = None,
                 on_epoch: Callable[[dict[str, float]], None] | None = None):
        self.model, self.task, self.config, self.lr = model, task, config, lr
        self.device, self.checkpoint_dir, self.privacy = device, checkpoint_dir, privacy
        self.on_epoch = on_epoch
        self._private: Any = None

    # -- batches -------------------------------------------------------------------------------
    def _loader(self, epoch: int) -> Iterable[dict[str, torch.Tensor]]:
        examples = self.task.train_examples()
        batches = bucketed_batches(self.task.lengths(), self.config.optim.batch_size, shuffle=True,
                                   seed=self.config.seed + epoch)
        mine = list(shard(batches, distributed.rank(), distributed.world_size()))
        # A sequence is a map-style dataset; torch's stubs ask for a Dataset.
        return DataLoader(examples, batch_sampler=mine, collate_fn=self.task.collate,  # type: ignore[arg-type]
                          pin_memory=self.device.type == "cuda")

    def _steps_per_epoch(self) -> int:
        n = len(self.task.train_examples())
        per_rank = math.ceil(n / self.config.optim.batch_size) // distributed.world_size()
        return max(1, per_rank)

    # -- loop ----------------------------------------------------------------------------------
    def fit(self, resume: bool = False) -> FitResult:
        cfg = self.config
        seed_everything(cfg.seed)
        model = self.model.to(self.device)
        model.train()
        optimizer: torch.optim.Optimizer = build_optimizer(model, self.lr, cfg.optim.weight_decay, self.device,
                                                           cfg.optim.head_lr_multiplier)
        total = self._steps_per_epoch() * cfg.epochs
        private = None
        if self.privacy is not None:
            from shared.privacy.dp import make_private

            plain: DataLoader[Any] = DataLoader(self.task.train_examples(),  # type: ignore[arg-type]
                                                batch_size=cfg.optim.batch_size, collate_fn=self.task.collate)
            private = make_private(model, optimizer, plain, self.privacy, cfg.epochs)
            model, optimizer = private.model, private.optimizer
        self._private = private
        scheduler = build_scheduler(optimizer, total, cfg.optim.warmup_ratio)
        train_model: Any = distributed.wrap(model, self.device) if private is None else model
        if cfg.compile and self.device.type == "cuda":
            train_model = torch.compile(train_model, dynamic=False)
        stopper = EarlyStopping(cfg.patience)
        start_epoch, history = 0, []
        if resume and self.checkpoint_dir is not None:
            state = load_checkpoint(self.checkpoint_dir)
            if state is not None:
                model.load_state_dict(state["model"], strict=False)
                optimizer.load_state_dict(state["optimizer"])
                scheduler.load_state_dict(state["scheduler"])
                stopper.load_state_dict(state["early_stopping"])
                start_epoch, history = state["epoch"] + 1, state["history"]
                log.info("resumed after epoch %d", state["epoch"])
        seen, seconds, stopped = 0, 0.0, False
        epoch = start_epoch - 1
        for epoch in range(start_epoch, cfg.epochs):
            loader = private.data_loader if private is not None else self._loader(epoch)
            with training_attention(model, self.device):
                n, dt, mean_loss = self._run_epoch(train_model, loader, optimizer, scheduler, epoch)
            seen, seconds = seen + n, seconds + dt
            metrics = self.task.evaluate(distributed.unwrap(train_model)) if distributed.is_main() else {}
            score = distributed.broadcast_float(metrics.get(self.task.primary_metric, float("nan")))
            row = {"epoch": epoch + 1, "train_loss": mean_loss, **metrics}
            history.append(row)
            if self.on_epoch:
                self.on_epoch(row)
            stopped = stopper.step(score if not math.isnan(score) else -mean_loss, epoch, model)
            if self.checkpoint_dir is not None and distributed.is_main():
                save_checkpoint(self.checkpoint_dir, {
                    "model": trainable_state(model), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "early_stopping": stopper.state_dict(),
                    "epoch": epoch, "history": history})
            if stopped:
                break
        stopper.restore(model)
        spent = private.spent_epsilon() if private is not None else None
        facts = None
        if private is not None:
            facts = {"spent_epsilon": spent, "delta": private.delta, "noise_multiplier": private.noise_multiplier,
                     "sample_rate": private.sample_rate}
            private.detach()  # opacus' per-sample hooks are for training only
        return FitResult(best_metric=stopper.best, best_epoch=stopper.best_epoch + 1, epochs_run=epoch + 1,
                         stopped_early=stopped, history=history,
                         samples_per_second=seen / seconds if seconds else 0.0,
                         spent_epsilon=spent, privacy=facts)

    def _run_epoch(self, model: nn.Module, loader: Iterable[dict[str, torch.Tensor]],
                   optimizer: torch.optim.Optimizer, scheduler: Any, epoch: int) -> tuple[int, float, float]:
        import time

        from tqdm.auto import tqdm

        cfg = self.config
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not (cfg.progress and distributed.is_main()))
        running = torch.zeros((), device=self.device)
        steps, samples, logged = 0, 0, float("nan")
        started = time.perf_counter()
        for batch in bar:
            if not batch or next(iter(batch.values())).shape[0] == 0:
                # Poisson sampling under DP can draw nobody: the round still counts, as a noise-only step.
                if self._private is not None:
                    self._private.step_on_empty_batch()
                    scheduler.step()
                continue
            batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
            with autocast(self.device, cfg.precision):
                loss = self.task.loss(model, batch)
            loss.backward()
            if cfg.optim.max_grad_norm and self.privacy is None:  # DP clips per sample itself
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.detach()
            steps += 1
            samples += next(iter(batch.values())).shape[0]
            if steps % LOG_EVERY == 0:
                logged = float(distributed.mean_across_ranks(running / steps))
                bar.set_postfix(loss=f"{logged:.4f}")
        mean = float(distributed.mean_across_ranks(running / max(1, steps)))
        return samples, time.perf_counter() - started, mean
