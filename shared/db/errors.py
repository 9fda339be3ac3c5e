"""Errors of the database facility: each names the database (masked) and what to do."""

from __future__ import annotations

from shared.errors import VerticalsError


class DatabaseError(VerticalsError):
    """Base class for the database facility's errors."""


class DatabaseURLError(DatabaseError, ValueError):
    """A database URL cannot be parsed or names a back-end we do not support."""


class SchemaBehindError(DatabaseError, RuntimeError):
    """The database's schema is older than the code: it must be upgraded before use."""


class SchemaAheadError(DatabaseError, RuntimeError):
    """The database was migrated by newer code than this one (a revision we do not know)."""


class UnknownStoreError(DatabaseError, LookupError):
    """`verticals db ... --store NAME` names no registered store."""
