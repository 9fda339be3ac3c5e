"""Checks shared by commands that only make sense for one task type."""

from __future__ import annotations

from shared.errors import ConfigError
from shared.registry import Registry


def require_task(name: str, version: str | None, task: str, instead: str) -> None:
    card = Registry().card(name, version)
    if card.task != task:
        raise ConfigError(f"{name} {card.version} is a {card.task} model; this command needs a {task} model. "
                          f"Use {instead}.")
