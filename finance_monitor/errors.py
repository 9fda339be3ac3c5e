"""Errors of the finance monitor. Each names the offending value and says what to do."""

from __future__ import annotations

from shared.errors import VerticalsError


class MonitorError(VerticalsError):
    """Base class of the finance monitor's errors (the CLI prints them as one line)."""


class SourceConfigError(MonitorError, ValueError):
    """A source definition is unusable (unknown kind, bad URL, missing folder, duplicate name)."""


class FetchError(MonitorError, RuntimeError):
    """A source could not be fetched or parsed this time; the source backs off and is retried."""


class InputFileError(MonitorError, ValueError):
    """A file dropped into a watched folder (or given to a replay) cannot be read as items."""


class RuleError(MonitorError, ValueError):
    """An alert rule is invalid (unknown kind, bad threshold, bad bucket size)."""


class NotFoundError(MonitorError, LookupError):
    """A source, rule or alert named by the user does not exist."""


class AlertStateError(MonitorError, ValueError):
    """An alert transition is not allowed (e.g. acknowledging a resolved alert)."""


class SinkError(MonitorError, RuntimeError):
    """A notification could not be delivered this time; it stays pending and is retried."""


class SchedulerLockedError(MonitorError, RuntimeError):
    """Another scheduler already runs against this store."""


class ModelUnavailableError(MonitorError, LookupError):
    """A scoring model is not registered yet."""
