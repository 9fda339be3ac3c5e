"""`PrivacyConfig`: the (ε, δ) budget and clipping bound for DP-SGD, validated before any training starts."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.errors import ConfigError

ACCOUNTANTS = ("prv", "rdp", "gdp")
GRAD_SAMPLE_MODES = ("hooks", "functorch")  # opacus' "ew" fails on keyword-argument calls (STACK-NOTES)


@dataclass(frozen=True)
class PrivacyConfig:
    epsilon: float = field(
        metadata={"help": "Privacy budget ε for the whole run (smaller = more private; 1-10 is usual)."}
    )
    delta: float | None = field(
        default=None,
        metadata={"help": "Failure probability δ; must be below 1/n for n training rows (default 1/(10·n))."},
    )
    max_grad_norm: float = field(
        default=1.0, metadata={"help": "Per-sample gradient clipping bound C used by DP-SGD."}
    )
    accountant: str = field(
        default="prv", metadata={"help": "Privacy accountant: 'prv' (tightest), 'rdp' or 'gdp'."}
    )
    grad_sample_mode: str = field(
        default="hooks",
        metadata={"help": "How opacus computes per-sample gradients: 'hooks' or 'functorch'."},
    )
    secure_mode: bool = field(
        default=False,
        metadata={"help": "Cryptographically secure noise (slower; needs the torchcsprng package)."},
    )

    def __post_init__(self) -> None:
        if not isinstance(self.epsilon, (int, float)) or not math.isfinite(self.epsilon) or self.epsilon <= 0:
            raise ConfigError(
                f"DP epsilon must be a finite number > 0, got {self.epsilon!r} (typical values are 1 to 10)."
            )
        if self.delta is not None and (not isinstance(self.delta, (int, float)) or not (0 < self.delta < 1)):
            raise ConfigError(
                f"DP delta must be strictly between 0 and 1, got {self.delta!r} "
                "(use something below 1/n for n training rows, e.g. 1e-5)."
            )
        if not isinstance(self.max_grad_norm, (int, float)) or not (
            math.isfinite(self.max_grad_norm) and self.max_grad_norm > 0
        ):
            raise ConfigError(f"DP max_grad_norm must be a finite number > 0, got {self.max_grad_norm!r}.")
        if self.accountant not in ACCOUNTANTS:
            raise ConfigError(f"DP accountant {self.accountant!r} is not one of {', '.join(ACCOUNTANTS)}.")
        if self.grad_sample_mode not in GRAD_SAMPLE_MODES:
            raise ConfigError(
                f"DP grad_sample_mode {self.grad_sample_mode!r} is not one of {', '.join(GRAD_SAMPLE_MODES)}."
            )

    def delta_for(self, n: int) -> float:
        """δ to use for a training set of `n` rows; raises if the configured δ is not below 1/n.

        δ ≥ 1/n would allow a mechanism that publishes one whole row outright, so it is refused.
        """
        if n < 1:
            raise ConfigError(f"DP training needs at least one training row, got {n}.")
        if self.delta is None:
            return 1.0 / (10 * n)
        if self.delta >= 1.0 / n:
            raise ConfigError(
                f"DP delta={self.delta!r} is not below 1/n = {1.0 / n:.3g} for n={n} training rows: "
                f"choose delta <= {1.0 / (10 * n):.1g} (or leave it unset for 1/(10·n))."
            )
        return float(self.delta)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
