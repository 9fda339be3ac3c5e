"""Differentially private fine-tuning (DP-SGD through opacus).

`PrivacyConfig` holds the budget; `shared.privacy.dp.make_private` wraps a model, optimizer and data
loader for the trainer; `check_supported` refuses methods DP cannot train before any data is read.
opacus itself is imported lazily (it configures logging on import).
"""

from shared.privacy.config import PrivacyConfig

__all__ = ["PrivacyConfig"]
