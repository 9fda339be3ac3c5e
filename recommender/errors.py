"""Errors of the recommender. Each names the offending value and says what to do about it."""

from __future__ import annotations

from shared.errors import VerticalsError


class RecommenderError(VerticalsError):
    """Base class: the CLI and the app show these as one clear message."""


class RecDataError(RecommenderError, ValueError):
    """Interaction or item data cannot be used as given (missing column, malformed file, no text)."""


class RecConfigError(RecommenderError, ValueError):
    """A blend/diversity/training setting is out of range."""


class UnknownConfigError(RecConfigError, LookupError):
    """No saved configuration by that name."""


class UnknownUserError(RecommenderError, LookupError):
    def __init__(self, user_id: object) -> None:
        super().__init__(f"No user with id {user_id!r} in the interaction data. Pick a known user, "
                         "or pass their items as a history, or a free-text interest.")
        self.user_id = user_id


class UnknownItemError(RecommenderError, LookupError):
    def __init__(self, item_ids: object) -> None:
        super().__init__(f"Unknown item id(s) {item_ids!r}: they are not in the catalogue. "
                         "Check the ids, or add the items first.")
        self.item_ids = item_ids


class EmptyHistoryError(RecommenderError, ValueError):
    """Nothing to base recommendations on."""


class ModelNotTrainedError(RecommenderError, LookupError):
    """No trained recommender where one was expected."""
