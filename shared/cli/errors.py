"""One decorator for every app's commands: our errors become one red line and exit 1, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer

from shared.errors import VerticalsError


def clear_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Works whether a command runs under `verticals` or as its app's own Typer app."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except VerticalsError as exc:
            typer.secho(f"Error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
    return wrapper
