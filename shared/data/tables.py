"""Read a user's table (CSV, JSONL, Parquet or a DataFrame) and check it before any training starts."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from shared.errors import DataError

TableSource: TypeAlias = str | os.PathLike | pd.DataFrame
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet",
            ".pq": "parquet"}


@dataclass
class CleanReport:
    """What validation did to the rows, so nothing is dropped silently."""

    rows_in: int = 0
    rows_kept: int = 0
    skipped_empty_text: int = 0
    skipped_missing_label: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.rows_kept}/{self.rows_in} rows kept"]
        if self.skipped_empty_text:
            parts.append(f"{self.skipped_empty_text} skipped for empty text")
        if self.skipped_missing_label:
            parts.append(f"{self.skipped_missing_label} skipped for a missing label")
        return ", ".join(parts)


def read_table(source: TableSource) -> pd.DataFrame:
    """Any supported source → DataFrame; a clear DataError for missing, empty, unknown or non-UTF-8 files."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise DataError(f"Data file {str(path)!r} does not exist.")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"Unsupported data file {path.name!r}: use .csv, .tsv, .jsonl or .parquet.")
    if path.stat().st_size == 0:
        raise DataError(f"Data file {str(path)!r} is empty.")
    if kind == "parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise DataError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    else:
        text = _decode_utf8(path)
        try:
            if kind == "jsonl":
                df = pd.read_json(io.StringIO(text), lines=True, dtype=False)
            else:
                df = pd.read_csv(io.StringIO(text), sep="\t" if kind == "tsv" else ",", dtype=str,
                                 keep_default_na=False)
        except (ValueError, TypeError, RecursionError) as exc:  # pandas raises TypeError on mixed JSONL lines
            raise DataError(f"{path.name} is not valid {kind.upper()}: {exc}") from exc
    if df.empty:
        raise DataError(f"Data file {str(path)!r} has no rows.")
    return df


def _decode_utf8(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path.name} is not UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}): "
            f"re-save it as UTF-8."
        ) from exc


def require_columns(df: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"The {what} has no column {missing[0]!r}; its columns are {list(map(str, df.columns))}. "
            f"Pass the right name (e.g. --text-col / --label-col)."
        )


def clean_text_rows(df: pd.DataFrame, text_cols: Sequence[str], label_col: str | None) -> tuple[pd.DataFrame, CleanReport]:
    """Drop (and count) rows with empty text or a missing label; labels become strings."""
    require_columns(df, [*text_cols, *([label_col] if label_col else [])])
    report = CleanReport(rows_in=len(df))
    keep = pd.Series(True, index=df.index)
    for col in text_cols:
        values = df[col].astype("string").fillna("").str.strip()
        empty = values.eq("")
        report.skipped_empty_text += int((empty & keep).sum())
        keep &= ~empty
    if label_col:
        lab = df[label_col]
        missing = lab.isna() | lab.astype("string").fillna("").str.strip().eq("")
        report.skipped_missing_label += int((missing & keep).sum())
        keep &= ~missing
    out = df.loc[keep].copy()
    for col in text_cols:
        out[col] = out[col].astype(str)
    if label_col:
        out[label_col] = out[label_col].astype(str).str.strip()
    report.rows_kept = len(out)
    if out.empty:
        raise DataError(f"No usable rows: {report.summary()}.")
    return out.reset_index(drop=True), report


def fingerprint(df: pd.DataFrame, columns: Sequence[str]) -> str:
    """A content hash of the training data, recorded in the model card."""
    h = hashlib.sha256()
    for row in df[list(columns)].astype(str).itertuples(index=False):
        h.update("\x1f".join(row).encode())
        h.update(b"\x1e")
    return "sha256:" + h.hexdigest()[:16]
