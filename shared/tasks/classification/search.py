"""`--budget 15m`: a small search around the auto recipe, judged on dev, within a wall-clock budget.

The auto recipe runs first, so the search can only match or beat it on dev; then its learning rate
doubled and halved, then the head multiplier off. A candidate starts only if the budget still holds one
more run as long as the longest so far. Test is never looked at while choosing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from shared.config import TrainConfig
from shared.errors import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_budget(text: str | float | None) -> float | None:
    """'15m', '900s', '1h', '1.5h' or a number of seconds → seconds (None: no search)."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
        if not m:
            raise ConfigError(f"Budget {text!r} is not a duration: write e.g. 15m, 900s or 1h.")
        seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if seconds <= 0:
        raise ConfigError(f"Budget must be positive, got {text!r}.")
    return seconds


def candidates(config: TrainConfig) -> list[tuple[str, TrainConfig]]:
    """The recipe's config first, then its neighbours (names say what changed)."""
    optim = config.optim
    lr = optim.lr
    if lr is None:
        raise ConfigError("The budget search needs the recipe's learning rate; run it with --method auto.")
    out = [("recipe", config),
           ("lr x2", dataclasses.replace(config, optim=dataclasses.replace(optim, lr=lr * 2))),
           ("lr x0.5", dataclasses.replace(config, optim=dataclasses.replace(optim, lr=lr / 2)))]
    if optim.head_lr_multiplier != 1.0:
        out.append(("head lr x1", dataclasses.replace(config, optim=dataclasses.replace(optim, head_lr_multiplier=1.0))))
    return out


class BudgetClock:
    """Whether another run fits: elapsed + the longest run so far <= budget."""

    def __init__(self, budget_s: float, clock: Any = None) -> None:
        import time

        self.budget_s = budget_s
        self._now = clock or time.monotonic
        self.started = self._now()
        self.longest = 0.0

    def record(self, seconds: float) -> None:
        self.longest = max(self.longest, seconds)

    def fits_another(self) -> bool:
        return self._now() - self.started + self.longest <= self.budget_s
