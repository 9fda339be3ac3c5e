"""Where the suite keeps its state and finds its data: one place, driven by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from shared.errors import DatasetNotFoundError, UnsafeTargetError

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


def is_inside_home(path: str | os.PathLike[str]) -> bool:
    home = verticals_home().resolve()
    real = Path(path).expanduser().resolve()
    return real == home or home in real.parents


def check_output_folder(path: str | os.PathLike[str], force: bool = False, what: str = "output folder") -> Path:
    """A folder a command may write into: refused when it already holds files, unless `force`.

    An export that silently overwrote a folder the user pointed at by mistake loses their files; the one
    exception is a folder this suite created under $VERTICALS_HOME, which it owns.
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise UnsafeTargetError(f"The {what} {folder} is a file, not a folder: choose another path.")
    if not force and folder.is_dir() and any(folder.iterdir()) and not is_inside_home(folder):
        raise UnsafeTargetError(f"The {what} {folder} is not empty: choose an empty or new folder, or pass "
                                f"--force to overwrite what is there.")
    return folder
