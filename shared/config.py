"""Small, validated training configs. Help text lives on the fields, so the CLI and docs share it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.errors import ConfigError

METHODS = ("full", "head", "topk", "lora")
PRECISIONS = ("auto", "bf16", "fp32")
TASKS = ("classification", "token-classification", "embedding", "generation")

# Learning rates that work per method: a frozen encoder's head wants a much larger step than the encoder.
DEFAULT_LR = {"full": 5e-5, "topk": 1e-4, "lora": 5e-4, "head": 1e-2}


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


@dataclass
class OptimConfig:
    lr: float | None = field(default=None, metadata={"help": "Peak learning rate (default: per method)."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW decoupled weight decay."})
    warmup_ratio: float = field(default=0.1, metadata={"help": "Fraction of steps for linear warm-up."})
    max_grad_norm: float = field(default=1.0, metadata={"help": "Gradient clipping norm (0 = off)."})
    batch_size: int = field(default=32, metadata={"help": "Samples per optimisation step (per process)."})
    head_lr_multiplier: float = field(default=1.0, metadata={
        "help": "The new classification head's learning rate as a multiple of the encoder's (full/topk/lora)."})

    def __post_init__(self) -> None:
        _check(self.lr is None or (self.lr > 0 and math.isfinite(self.lr)), f"lr must be > 0, got {self.lr!r}")
        _check(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay!r}")
        _check(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}")
        _check(self.max_grad_norm >= 0, f"max_grad_norm must be >= 0, got {self.max_grad_norm!r}")
        _check(self.head_lr_multiplier > 0 and math.isfinite(self.head_lr_multiplier),
               f"head_lr_multiplier must be > 0, got {self.head_lr_multiplier!r}")
        _check(self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size!r}")


@dataclass
class LoraSettings:
    r: int = field(default=8, metadata={"help": "LoRA rank."})
    alpha: int = field(default=16, metadata={"help": "LoRA scaling alpha."})
    dropout: float = field(default=0.1, metadata={"help": "Dropout on the LoRA path."})
    target_modules: tuple[str, ...] | None = field(
        default=None, metadata={"help": "Module names to adapt (default: the attention projections)."})

    def __post_init__(self) -> None:
        _check(self.r >= 1, f"LoRA rank r must be >= 1, got {self.r!r}")
        _check(self.alpha >= 1, f"LoRA alpha must be >= 1, got {self.alpha!r}")
        _check(0 <= self.dropout < 1, f"LoRA dropout must be in [0, 1), got {self.dropout!r}")


@dataclass
class TrainConfig:
    epochs: int = field(default=3, metadata={"help": "Maximum passes over the training split."})
    seed: int = field(default=42, metadata={"help": "Seed for init, shuffling and dropout."})
    max_length: int = field(default=128, metadata={"help": "Token limit per input; longer is truncated."})
    dropout: float = field(default=0.1, metadata={"help": "Dropout before the classification head."})
    patience: int = field(default=2, metadata={"help": "Epochs without dev improvement before stopping."})
    topk_layers: int = field(default=2, metadata={"help": "Encoder layers unfrozen by method 'topk'."})
    pad_multiple: int = field(default=8, metadata={"help": "Pad lengths up to a multiple of this."})
    compile: bool = field(default=False, metadata={"help": "torch.compile the model (CUDA only)."})
    precision: str = field(default="auto", metadata={
        "help": "auto (bf16 autocast on CUDA and on CPUs with native bf16, else fp32), bf16 or fp32."})
    progress: bool = field(default=True, metadata={"help": "Show a progress bar."})
    optim: OptimConfig = field(default_factory=OptimConfig)
    lora: LoraSettings = field(default_factory=LoraSettings)

    def __post_init__(self) -> None:
        _check(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs!r}")
        _check(8 <= self.max_length <= 8192, f"max_length must be in [8, 8192], got {self.max_length!r}")
        _check(0 <= self.dropout < 1, f"dropout must be in [0, 1), got {self.dropout!r}")
        _check(self.patience >= 1, f"patience must be >= 1, got {self.patience!r}")
        _check(self.topk_layers >= 1, f"topk_layers must be >= 1, got {self.topk_layers!r}")
        _check(self.pad_multiple >= 1, f"pad_multiple must be >= 1, got {self.pad_multiple!r}")
        _check(self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    def lr_for(self, method: str) -> float:
        return self.optim.lr if self.optim.lr is not None else DEFAULT_LR[method]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DistillConfig:
    teacher: str = field(metadata={"help": "The model to learn from: a registered NAME or NAME@VERSION of the same "
                                           "task (for embeddings also a catalogue name, e.g. mpnet)."})
    alpha: float = field(default=0.5, metadata={"help": "Weight of the teacher's soft targets (1 - alpha: labels)."})
    temperature: float = field(default=2.0, metadata={"help": "Softmax temperature for teacher and student."})

    def __post_init__(self) -> None:
        if not self.teacher or not self.teacher.strip():
            raise ConfigError("distillation needs a teacher: a registered model's NAME[@VERSION] (for embeddings also "
                              "a catalogue name such as mpnet).")
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"distillation alpha must be in [0, 1], got {self.alpha!r}")
        if not self.temperature > 0:
            raise ConfigError(f"distillation temperature must be > 0, got {self.temperature!r}")

    def teacher_ref(self) -> tuple[str, str | None]:
        name, _, version = self.teacher.partition("@")
        return name, version or None


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    return method


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ConfigError(f"Unknown task {task!r}: use one of {', '.join(TASKS)}.")
    return task


def task_module(task: str) -> str:
    """The `shared.tasks` sub-package that implements `task` (validated)."""
    return check_task(task).replace("-", "_")
