"""`--method auto`: the fine-tuning recipe chosen from the data, the base model and the device.

What the sweeps in docs/benchmarks.md learned, written down once so a user need not repeat them:
- Full fine-tuning beats LoRA, top-k and head-only on every set measured (FPB, Banking77) for encoders up
  to base size; LoRA's few epochs left dev accuracy still rising and ended level with TF-IDF + LR on FPB.
- A freshly initialised head lags the pretrained encoder at one learning rate: head lr × 20 fixed it
  (Banking77 dev after epoch 1 0.855 → 0.898; FPB test 0.825 → 0.837).
- Encoder lr: MiniLM-size 5e-5 with few labels (FPB 0.837) and 1e-4 with many (Banking77 0.933); base
  size (MPNet) 3e-5 / 5e-5 (FPB 0.856, Banking77 0.941).
- Small sets overfit after 2-3 epochs (FPB best dev at epoch 2) while many-label sets keep gaining to
  epoch 4-8: early stopping on dev (patience 2, best weights restored) decides, within an epoch cap.
- Batch 16 on small sets (more updates per epoch), 32 from 5,000 training rows.
- Large encoders (over 200M parameters) adapt with LoRA: full fine-tuning them on a few thousand rows is
  slow on a CPU and overfits.
Scope: classification only; distillation runs use the same recipe; under DP-SGD `auto` means LoRA at its
default learning rate (the sweeps ran without DP).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from shared.config import TrainConfig

AUTO = "auto"
# Fields of TrainConfig / OptimConfig the recipe chooses; a caller can pin any of them.
CHOSEN = ("epochs", "patience", "lr", "batch_size", "head_lr_multiplier")
SMALL_ENCODER = 60_000_000     # MiniLM (22.7M) and similar
LARGE_ENCODER = 200_000_000    # above: LoRA
MANY_LABELS = 10
SMALL_DATA = 5_000
TINY_DATA = 500


@dataclass(frozen=True)
class Recipe:
    method: str
    lr: float
    head_lr_multiplier: float
    epochs: int
    patience: int
    batch_size: int
    why: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def choose_recipe(n_train: int, n_labels: int, encoder_params: int, device_type: str = "cpu") -> Recipe:
    """The recipe for `n_train` rows and `n_labels` labels on an encoder of `encoder_params` parameters."""
    why = [(f"{n_train} training rows, {n_labels} labels, encoder {encoder_params / 1e6:.0f}M parameters, "
            f"device {device_type}")]
    many = n_labels > MANY_LABELS
    if encoder_params > LARGE_ENCODER:
        why.append("large encoder: LoRA adapters (full fine-tuning is slow and overfits small data)")
        return Recipe("lora", 5e-4, 1.0, 3 if n_train >= SMALL_DATA else 5, 2, 16 if device_type == "cpu" else 32,
                      why)
    method = "full"
    why.append("full fine-tuning: it beat LoRA, top-k and head-only in every sweep at this size")
    small_enc = encoder_params <= SMALL_ENCODER
    if small_enc:
        lr = 1e-4 if many else 5e-5
    else:
        lr = 5e-5 if many else 3e-5
    why.append(f"encoder lr {lr:g}: {'MiniLM' if small_enc else 'base'}-size encoder, "
               f"{'many' if many else 'few'} labels (more labels: the encoder must move further)")
    head = 20.0
    why.append("head lr x20: a fresh head lags the pretrained encoder at one learning rate")
    batch = 16 if n_train < SMALL_DATA else 32
    if device_type == "cuda" and n_train >= SMALL_DATA:
        batch = 32
    why.append(f"batch {batch}: {'more updates per epoch on a small set' if batch == 16 else 'a larger set'}")
    if n_train < TINY_DATA:
        epochs = 10
    elif n_train < SMALL_DATA:
        epochs = 6
    else:
        epochs = 8 if many else 5
    if device_type == "cpu" and not small_enc:
        epochs = min(epochs, 4)  # a base-size encoder on a CPU: its sweeps peaked by epoch 3-4
    why.append(f"at most {epochs} epochs, early stopping on dev accuracy with patience 2 (best weights kept)")
    return Recipe(method, lr, head, epochs, 2, batch, why)


def apply_recipe(recipe: Recipe, config: TrainConfig, pinned: Collection[str] = ()) -> TrainConfig:
    """`config` with the recipe's choices, except the fields the caller pinned (named as in CHOSEN)."""
    optim = config.optim
    new_optim = dataclasses.replace(
        optim,
        lr=optim.lr if ("lr" in pinned or optim.lr is not None) else recipe.lr,
        batch_size=optim.batch_size if "batch_size" in pinned else recipe.batch_size,
        head_lr_multiplier=optim.head_lr_multiplier if "head_lr_multiplier" in pinned else recipe.head_lr_multiplier)
    return dataclasses.replace(
        config, optim=new_optim,
        epochs=config.epochs if "epochs" in pinned else recipe.epochs,
        patience=config.patience if "patience" in pinned else recipe.patience)


def recipe_record(recipe: Recipe, config: TrainConfig, pinned: Collection[str]) -> dict[str, Any]:
    """What the card keeps: the recipe, what the run actually used and which values the user pinned."""
    used = {"method": recipe.method, "lr": config.optim.lr if config.optim.lr is not None else recipe.lr,
            "head_lr_multiplier": config.optim.head_lr_multiplier, "epochs": config.epochs,
            "patience": config.patience, "batch_size": config.optim.batch_size}
    return {"chosen": recipe.to_dict(), "used": used, "pinned": sorted(pinned)}

