"""The one redaction policy, applied wherever text leaves memory.

Boundaries that call it: the bot's store (customer messages, the bot's proposals, the agent's replies),
`export-training-data` and retraining data, the prompt sent to a generation endpoint, feed items before they
are stored, recommender item text before it is embedded or saved, and log records (`RedactingLogFilter`).

A policy is configurable per workspace (or per app): `{"enabled": true, "emails": false, ...}` takes any
`RedactionConfig` field, e.g. keep e-mail addresses visible to agents but mask card numbers. Names are not
detected by any family, so they stay. Redacting twice is harmless: placeholders contain no PII.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.errors import ConfigError
from shared.pii.config import RedactionConfig
from shared.pii.redactor import Redactor

__all__ = ["RedactingLogFilter", "RedactionPolicy", "default_policy", "install_log_redaction", "policy_for"]


@dataclass(frozen=True)
class RedactionPolicy:
    enabled: bool = field(default=True, metadata={"help": "Redact at every boundary (off only for synthetic data)."})
    config: RedactionConfig = field(default_factory=RedactionConfig)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RedactionPolicy:
        """`{"enabled": bool, <RedactionConfig field>: value, ...}`; unknown keys are an error."""
        data = dict(data or {})
        enabled = data.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"redaction 'enabled' must be true or false, got {enabled!r}.")
        return cls(enabled=enabled, config=RedactionConfig.from_dict(data))

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self.config).items() if v != getattr(RedactionConfig(), k)}
        return {"enabled": self.enabled, **out}

    def redact(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        return _redactor(self.config).redact(text)

    def redact_optional(self, text: str | None) -> str | None:
        return None if text is None else self.redact(text)


_REDACTORS: dict[str, Redactor] = {}


def _redactor(config: RedactionConfig) -> Redactor:
    key = repr(config)  # detectors compile regexes and phone metadata once per distinct config
    if key not in _REDACTORS:
        _REDACTORS[key] = Redactor(config)
    return _REDACTORS[key]


def default_policy() -> RedactionPolicy:
    return RedactionPolicy()


def policy_for(data: Mapping[str, Any] | RedactionPolicy | None) -> RedactionPolicy:
    """The policy a workspace's (or app's) settings ask for; the default when they say nothing."""
    if isinstance(data, RedactionPolicy):
        return data
    return RedactionPolicy.from_dict(data) if data else default_policy()


class RedactingLogFilter(logging.Filter):
    """Redacts a record's formatted message before any handler writes it (files, consoles, collectors)."""

    def __init__(self, policy: RedactionPolicy | None = None) -> None:
        super().__init__()
        self.policy = policy or default_policy()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is the logging module's to report
            return True
        redacted = self.policy.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction(policy: RedactionPolicy | None = None) -> None:
    """Attach the filter to every handler of the root logger (filters on handlers see child loggers' records)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingLogFilter) for f in handler.filters):
            handler.addFilter(RedactingLogFilter(policy))
