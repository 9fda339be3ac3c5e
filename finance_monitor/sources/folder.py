"""A watched folder: every new or changed *.jsonl / *.csv file is read once.

The folder is the user's: we never move or delete their files. A file is remembered by name and
content digest, so an unchanged file is skipped and an edited one is read again (the store's
de-duplication drops what was already ingested). A broken file is reported and retried next time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from finance_monitor.errors import FetchError, InputFileError
from finance_monitor.sources.base import FetchResult
from finance_monitor.sources.files import SUFFIXES, frame_to_items, read_frame


def fetch_folder(location: str, state: dict[str, Any]) -> FetchResult:
    folder = Path(location).expanduser()
    if not folder.is_dir():
        raise FetchError(f"watched folder {folder} does not exist; create it or remove the source")
    seen: dict[str, str] = dict(state.get("seen", {}))
    result = FetchResult()
    for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if seen.get(path.name) == digest:
            continue
        try:
            items = frame_to_items(read_frame(path))
        except InputFileError as exc:
            result.problems.append(str(exc))
            continue
        result.items.extend(items)
        seen[path.name] = digest
    result.state = {"seen": seen}
    return result
