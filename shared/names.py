"""The one rule for every user-chosen name that becomes a path or a key.

Registry tasks and versions, workspaces, recommender artifacts, saved configurations, stored document
names, sinks and sources all pass through `check_name` before they are used. A name is a single path
component by construction: it cannot hold a separator, cannot be `.`/`..` or start with a dot, and is short
enough for every file system and database key. `child_path` builds the path from a checked name and
re-checks that it stays inside its root (symlinks included).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shared.errors import InvalidNameError

__all__ = ["NAME_RULE", "InvalidNameError", "check_name", "child_path", "is_valid_name"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = ("1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit, "
             "and no '..'")


def is_valid_name(value: object) -> bool:
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None and ".." not in value


def check_name(value: object, what: str = "workspace") -> str:
    """`value` unchanged when it follows the rule; else `InvalidNameError` naming the value and the rule."""
    if not is_valid_name(value):
        raise InvalidNameError(f"Invalid {what} name {value!r}: use {NAME_RULE} (e.g. 'team-a_2').")
    return str(value)


def child_path(root: str | os.PathLike[str], name: object, what: str = "workspace") -> Path:
    """`root / name` for a checked name, refusing a result that resolves outside `root` (e.g. a symlink)."""
    root = Path(root)
    path = root / check_name(name, what)
    real_root = root.resolve()
    real = path.resolve()
    if real != real_root / path.name and real_root not in real.parents:
        raise InvalidNameError(f"The {what} {name!r} at {path} resolves outside {root} ({real}): "
                               f"remove that link or choose another name.")
    return path
