"""Per-epoch checkpoints (trainable weights, optimizer, schedule, early-stopping state) and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(folder: Path, state: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (CHECKPOINT + ".partial")
    torch.save(state, tmp)
    tmp.replace(folder / CHECKPOINT)  # a crash mid-write never leaves a torn checkpoint
    return folder / CHECKPOINT


def load_checkpoint(folder: Path) -> dict[str, Any] | None:
    path = folder / CHECKPOINT
    if not path.exists():
        return None
    # Checkpoints hold tensors, numbers and plain dicts only; our own file, so full unpickling is fine.
    return torch.load(path, map_location="cpu", weights_only=False)
