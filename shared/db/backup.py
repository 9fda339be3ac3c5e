"""Backups of SQLite stores with SQLite's online backup API (consistent while others read and write).

PostgreSQL is backed up with its own tool, `pg_dump` (see docs/scaling.md).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.db.errors import DatabaseError


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy the SQLite database `source` to `target` (which must not exist); returns `target`."""
    if not source.is_file():
        raise DatabaseError(f"no SQLite database at {source}: nothing to back up")
    if target.exists():
        raise DatabaseError(f"{target} already exists: choose another backup path, nothing was overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)  # never leave a half-written backup that looks whole
        raise DatabaseError(f"backing up {source} to {target} failed: {exc}") from exc
    finally:
        src.close()
    return target
