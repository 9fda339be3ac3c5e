"""The core's front door: `finetune(...)` trains and registers; `load_model(name)` serves."""

from __future__ import annotations

import importlib
from typing import Any

from shared.config import task_module
from shared.registry import Registry


def finetune(data: Any = None, *, task: str = "classification", name: str, **kwargs: Any) -> Any:
    """Train a model for `task` on `data` and add it to the registry (see docs/core-api.md)."""
    pipeline = importlib.import_module(f"shared.tasks.{task_module(task)}.pipeline")
    return pipeline.run(data, name=name, **kwargs)


def load_model(name: str, version: str | None = None, registry: Registry | None = None, **kwargs: Any) -> Any:
    """The registered model `name` (current version unless `version`), ready to predict."""
    registry = registry or Registry()
    folder = registry.path(name, version)
    card = registry.card(name, version)
    predictor = importlib.import_module(f"shared.tasks.{task_module(card.task)}.predictor")
    return predictor.load(folder, card, **kwargs)
