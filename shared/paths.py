"""Where the suite keeps its state and finds its data: one place, driven by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from shared.errors import DatasetNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def verticals_home() -> Path:
    """Registry, caches and app databases live here (`$VERTICALS_HOME`, default `<project>/var`)."""
    home = Path(os.environ.get("VERTICALS_HOME", PROJECT_ROOT / "var")).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def cache_dir(kind: str) -> Path:
    path = verticals_home() / "cache" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The public-data folder: an explicit argument wins, else `$VERTICALS_DATA`."""
    value = explicit if explicit is not None else os.environ.get("VERTICALS_DATA")
    if not value:
        raise DatasetNotFoundError(
            "No data folder given: pass --data-dir or set VERTICALS_DATA to the folder holding "
            "financial_phrasebank/ and banking77/."
        )
    return Path(value).expanduser()
