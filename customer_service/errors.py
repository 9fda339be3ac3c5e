"""Errors of the customer-service bot. Each names the offending value and what to do about it."""

from __future__ import annotations

from shared.errors import VerticalsError


class CustomerServiceError(VerticalsError):
    """Base class for the bot's errors (the CLI and the console print these as one clear line)."""


class InvalidMessageError(CustomerServiceError, ValueError):
    """A customer message is empty or too long to be a chat message."""


class UnsupportedFileError(CustomerServiceError, ValueError):
    """An uploaded file has an unknown type, is binary, or is not valid UTF-8 text."""


class EmptyDocumentError(CustomerServiceError, ValueError):
    """A document yielded no text (e.g. a scanned PDF without a text layer)."""


class FaqFormatError(CustomerServiceError, ValueError):
    """A FAQ file lacks the `question`/`answer` columns or has no usable rows."""


class UnknownWorkspaceError(CustomerServiceError, LookupError):
    """No workspace by that name exists."""


class WorkspaceExistsError(CustomerServiceError, ValueError):
    """A workspace by that name already exists."""


class UnknownDocumentError(CustomerServiceError, LookupError):
    """No document by that id or name in the workspace."""


class UnknownConversationError(CustomerServiceError, LookupError):
    """No conversation by that id in the workspace."""


class SettingsError(CustomerServiceError, ValueError):
    """A workspace setting is out of range."""


class GenerationError(CustomerServiceError, RuntimeError):
    """The generator (local model or remote endpoint) failed or timed out; callers fall back to extractive."""


class NoTrainingDataError(CustomerServiceError, ValueError):
    """There are not enough labelled examples to export or retrain."""


class RedactionUnavailableError(CustomerServiceError, RuntimeError):
    """The PII redaction cannot be loaded, so customer text must not be stored."""
