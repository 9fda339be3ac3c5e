"""Per-epoch checkpoints (trainable weights, optimizer, schedule, early-stopping state) and resume.

A checkpoint folder is a file on disk like any other: it is read with `torch.load(weights_only=True)`,
which accepts tensors, numbers, strings and plain containers and refuses anything that would run code.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from shared.errors import DataError

CHECKPOINT = "checkpoint.pt"


def _plain(value: Any) -> Any:
    """numpy scalars (metrics) as Python numbers: the weights-only loader accepts only plain types."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, torch.Tensor):
        return value.item()
    return value


def save_checkpoint(folder: Path, state: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (CHECKPOINT + ".partial")
    torch.save(_plain(state), tmp)
    tmp.replace(folder / CHECKPOINT)  # a crash mid-write never leaves a torn checkpoint
    return folder / CHECKPOINT


def load_checkpoint(folder: Path) -> dict[str, Any] | None:
    path = folder / CHECKPOINT
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise DataError(f"The checkpoint {path} holds more than tensors and numbers, so it is not loaded "
                        f"(it could run code): delete it to train from the start. ({exc})") from None
