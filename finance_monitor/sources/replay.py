"""Plays a dated archive as if it were live: at time `now` it emits the archive rows dated up to the
replay clock that were not emitted before.

The replay clock is `now` itself when `speed` is 0 (back-tests and the demo drive `now` through the
archive), else `archive_start + (now - started_at) * speed` (a live-looking demo feed).
The archive is `builtin:guardian` (the Guardian 2020 business headlines) or a JSONL/CSV/Parquet file.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from finance_monitor.errors import FetchError, SourceConfigError
from finance_monitor.sources.base import FetchResult, to_utc
from finance_monitor.sources.files import frame_to_items, read_frame

GUARDIAN = "builtin:guardian"


@lru_cache(maxsize=4)
def _load_archive(location: str, mtime: float) -> pd.DataFrame:
    if location == GUARDIAN:
        from shared.datasets.guardian_headlines import load_guardian_headlines

        g = load_guardian_headlines()
        # The archive has no URLs: a stable synthetic one per row keeps URL de-duplication meaningful.
        df = pd.DataFrame({"title": g["headline"], "body": "",
                           "url": [f"replay://guardian/{i}" for i in range(len(g))],
                           "published_at": g["published_at"]})
    else:
        df = read_frame(Path(location))
    if df["published_at"].isna().any():
        raise FetchError(f"replay archive {location} has rows without a date; every replayed row needs one")
    df["published_at"] = pd.to_datetime(df["published_at"], utc=True)
    return df.sort_values("published_at", kind="stable").reset_index(drop=True)


def load_archive(location: str) -> pd.DataFrame:
    if location == GUARDIAN:
        return _load_archive(location, 0.0)
    path = Path(location).expanduser()
    if not path.is_file():
        raise SourceConfigError(f"replay archive {path} does not exist")
    return _load_archive(str(path), path.stat().st_mtime)


def replay_clock(options: dict[str, Any], state: dict[str, Any], now: datetime,
                 archive: pd.DataFrame) -> tuple[datetime, dict[str, Any]]:
    speed = float(options.get("speed", 0))
    if speed == 0:
        return now, {}
    started = to_utc(state.get("started_at")) or now
    origin = to_utc(options.get("archive_start")) or archive["published_at"].iloc[0].to_pydatetime()
    return origin + timedelta(seconds=(now - started).total_seconds() * speed), {"started_at": started.isoformat()}


def fetch_replay(location: str, options: dict[str, Any], state: dict[str, Any], now: datetime) -> FetchResult:
    archive = load_archive(location)
    clock, clock_state = replay_clock(options, state, now, archive)
    cursor = int(state.get("cursor", 0))
    until = to_utc(options.get("until"))
    limit = clock if until is None else min(clock, until)
    # Rows are sorted by date: everything from the cursor up to the clock is due now.
    end = int(archive["published_at"].searchsorted(pd.Timestamp(limit), side="right"))
    due = archive.iloc[cursor:end] if end > cursor else archive.iloc[0:0]
    return FetchResult(items=frame_to_items(due), state={"cursor": max(cursor, end), **clock_state})
