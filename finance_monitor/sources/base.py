"""What every source kind returns: raw items and the state to remember for the next fetch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class RawItem:
    title: str
    body: str = ""
    url: str | None = None
    published_at: datetime | None = None  # aware UTC, or None when the source gave no usable date


@dataclass
class FetchResult:
    items: list[RawItem] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # merged into the source's stored state
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)  # non-fatal: skipped files, undated entries


def to_utc(value: Any) -> datetime | None:
    """Parse anything date-like to an aware UTC datetime; naive values are taken as UTC; junk -> None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(ts):
        return None
    ts = ts.tz_localize(timezone.utc) if ts.tzinfo is None else ts.tz_convert(timezone.utc)
    return ts.to_pydatetime()
