"""Errors raised by the fine-tuning core. Each names the offending value and what to do about it."""

from __future__ import annotations


class VerticalsError(Exception):
    """Base class: the CLI prints these as one clear line instead of a traceback."""


class DataError(VerticalsError, ValueError):
    """The user's data cannot be used as given (missing column, empty file, bad encoding...)."""


class ConfigError(VerticalsError, ValueError):
    """A configuration value is out of range or inconsistent with another."""


class ModelNotFoundError(VerticalsError, LookupError):
    """A named pretrained model is not installed, or a local model folder does not exist."""


class DatasetNotFoundError(VerticalsError, LookupError):
    """A public data set is not where it should be and could not be fetched."""


class RegistryError(VerticalsError, LookupError):
    """A task or version is not in the model registry."""


class PromotionRefused(VerticalsError, ValueError):
    """A version may not become current: it loses to its baseline on dev (override with --force)."""


class UnknownLabelError(DataError):
    """A label seen at evaluation time was never seen in training."""


class AppSpecError(VerticalsError, ValueError):
    """An app's `AppSpec` is malformed (bad name, port, reference...): fix the app's spec.py."""


class AppLoadError(VerticalsError, ImportError):
    """A registered app's code (spec, CLI group, page, prepare, API router) could not be imported."""


class InvalidNameError(ConfigError):
    """A user-chosen name (workspace, model, artifact, sink...) breaks the one name rule in shared/names.py."""


class UnsafeTargetError(ConfigError):
    """A command would overwrite or delete something outside $VERTICALS_HOME without --force."""


class ModelLoadError(RegistryError):
    """A registered model exists but cannot be loaded for the use asked of it (broken files, wrong task)."""
