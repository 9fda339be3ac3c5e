"""Errors of generative fine-tuning and serving; each names the offending row and what to do."""

from __future__ import annotations

from shared.errors import DataError


class EmptyAnswerError(DataError):
    """A (prompt, answer) row has an empty prompt or answer: there is nothing to learn from it."""


class PromptTooLongError(DataError):
    """A prompt (with the chat template) leaves no room for an answer within the context."""
