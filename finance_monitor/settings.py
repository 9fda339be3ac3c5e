"""Monitor settings: small validated dataclasses; the store URL defaults to SQLite under the home."""

from __future__ import annotations

from dataclasses import dataclass, field

from finance_monitor.errors import MonitorError
from shared.db.urls import resolve_url


class SettingsError(MonitorError, ValueError):
    """A setting is out of range."""


DB_ENV = "VERTICALS_MONITOR_DB"
DB_FILE = "finance_monitor.db"


def default_db_url() -> str:
    """`$VERTICALS_MONITOR_DB` if set (e.g. a PostgreSQL URL), else SQLite in the verticals home."""
    return resolve_url(None, env_var=DB_ENV, db_file=DB_FILE)


@dataclass(frozen=True)
class FetchSettings:
    timeout_s: float = field(default=10.0, metadata={"help": "total deadline of one feed fetch, body included"})
    max_bytes: int = field(default=5 * 2**20, metadata={"help": "largest feed body read (bytes)"})
    max_items: int = field(default=500, metadata={"help": "most entries kept from one fetch"})
    backoff_base_s: float = field(default=60.0, metadata={"help": "first back-off after a failed fetch"})
    backoff_max_s: float = field(default=3600.0, metadata={"help": "longest back-off between retries"})
    user_agent: str = "verticals-finance-monitor/0.1"

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise SettingsError(f"timeout_s must be > 0, got {self.timeout_s!r}")
        if self.max_bytes < 1 or self.max_items < 1:
            raise SettingsError(f"max_bytes and max_items must be >= 1, got {self.max_bytes!r}, {self.max_items!r}")
        if not 0 < self.backoff_base_s <= self.backoff_max_s:
            raise SettingsError(
                f"need 0 < backoff_base_s <= backoff_max_s, got {self.backoff_base_s!r}, {self.backoff_max_s!r}"
            )


@dataclass(frozen=True)
class ScheduleSettings:
    fetch_every_s: int = field(default=300, metadata={"help": "how often due sources are polled"})
    score_every_s: int = field(default=60, metadata={"help": "how often new items are scored"})
    aggregate_every_s: int = field(default=300, metadata={"help": "how often trend buckets are rebuilt"})
    evaluate_every_s: int = field(default=300, metadata={"help": "how often rules run and alerts are sent"})
    misfire_grace_s: int = field(default=120, metadata={"help": "late runs within this are still run"})
    lock_ttl_s: int = field(default=90, metadata={"help": "a scheduler lock not refreshed for this long is stale"})

    def __post_init__(self) -> None:
        for name in ("fetch_every_s", "score_every_s", "aggregate_every_s", "evaluate_every_s", "lock_ttl_s"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be > 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ModelSettings:
    sentiment_model: str = "fin-sentiment"
    topic_model: str = "fin-topic"
    ner_model: str = field(default="fin-ner", metadata={"help": "token classifier for ORG/PER mentions"})
    discovered_min_items: int = field(default=3, metadata={
        "help": "items a discovered (not watch-listed) entity needs before it enters trends and rules"})
    custom_topic_threshold: float = field(default=0.35, metadata={"help": "min cosine to a topic centroid"})
    batch_size: int = 128

    def __post_init__(self) -> None:
        if not -1.0 <= self.custom_topic_threshold <= 1.0:
            raise SettingsError(f"custom_topic_threshold must be in [-1, 1], got {self.custom_topic_threshold!r}")
        if self.batch_size < 1:
            raise SettingsError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if self.discovered_min_items < 1:
            raise SettingsError(f"discovered_min_items must be >= 1, got {self.discovered_min_items!r}")


@dataclass(frozen=True)
class MonitorSettings:
    db_url: str = field(default_factory=default_db_url)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
