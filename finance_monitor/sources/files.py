"""Reading item files (JSONL or CSV) into raw items, shared by the folder and replay sources.

Accepted columns: a title (`title`, `headline` or `text`), optional `body`/`summary`, optional
`url`/`link`, optional `published_at`/`published`/`date`. A file that cannot be read raises one
`InputFileError` naming the file and the line, and nothing from it is ingested.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from finance_monitor.errors import InputFileError
from finance_monitor.sources.base import RawItem, to_utc

TITLE_COLS = ("title", "headline", "text")
BODY_COLS = ("body", "summary", "description")
URL_COLS = ("url", "link")
DATE_COLS = ("published_at", "published", "date", "timestamp")
SUFFIXES = (".jsonl", ".csv")


def read_frame(path: Path) -> pd.DataFrame:
    """The file as a DataFrame with columns title, body, url, published_at (UTC or NaT)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path.name}: not UTF-8 (byte {exc.start}); re-save the file as UTF-8 and drop it in again"
        ) from exc
    if path.suffix == ".jsonl":
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise InputFileError(f"{path.name} line {lineno}: not valid JSON "
                                     f"({getattr(exc, 'msg', 'nested too deeply')})") from exc
            if not isinstance(rec, dict):
                raise InputFileError(f"{path.name} line {lineno}: expected a JSON object, got {type(rec).__name__}")
            records.append(rec)
        df = pd.DataFrame.from_records(records)
    elif path.suffix == ".csv":
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(f"{path.name}: not a readable CSV ({exc})") from exc
    elif path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        raise InputFileError(f"{path.name}: unsupported file type; use .jsonl or .csv")
    return normalise_columns(df, path.name)


def normalise_columns(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Map the accepted column names onto title/body/url/published_at; per row, the first non-empty wins."""
    cols = {c.lower(): c for c in df.columns}

    def coalesce(options: tuple[str, ...]) -> pd.Series | None:
        present = [cols[o] for o in options if o in cols]
        if not present:
            return None
        out = pd.Series([None] * len(df), index=df.index, dtype=object)
        for c in present:
            vals = df[c].where(df[c].notna() & (df[c].astype(str).str.strip() != ""), None)
            out = out.where(out.notna(), vals)
        return out

    title = coalesce(TITLE_COLS)
    if title is None and len(df):
        raise InputFileError(f"{name}: needs a title column (one of {', '.join(TITLE_COLS)}); has {list(df.columns)}")
    body, url, date = coalesce(BODY_COLS), coalesce(URL_COLS), coalesce(DATE_COLS)
    return pd.DataFrame({
        "title": title.fillna("").astype(str) if title is not None else pd.Series(dtype=str),
        "body": body.fillna("").astype(str) if body is not None else "",
        "url": url if url is not None else None,
        "published_at": [to_utc(v) for v in date] if date is not None else None,
    })


def frame_to_items(df: pd.DataFrame) -> list[RawItem]:
    items = []
    for row in df.itertuples(index=False):
        url = row.url if isinstance(row.url, str) and row.url else None
        pub = row.published_at
        published = None if pub is None or pd.isna(pub) else pd.Timestamp(pub).to_pydatetime()
        items.append(RawItem(title=str(row.title).strip(), body=str(row.body or "").strip(), url=url,
                             published_at=published))
    return [i for i in items if i.title or i.body]
