"""What the API's routes share in one process: settings, key store, rate limiter, metrics, readiness."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.http.keys import KeyStore
from shared.http.limits import RateLimiter
from shared.http.metrics import ApiMetrics
from shared.settings import ApiSettings

# name → a function that returns a short status ("3 workspaces") or raises when not ready.
ReadyCheck = Callable[[], str]


@dataclass
class ApiState:
    settings: ApiSettings
    keys: KeyStore
    limiter: RateLimiter = field(default_factory=RateLimiter)
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    checks: dict[str, ReadyCheck] = field(default_factory=dict)
    warm: dict[str, Callable[[], None]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)   # apps whose router failed to load
    warmed: bool = False
    warm_error: str | None = None
