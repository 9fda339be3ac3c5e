"""Redacting text columns of a DataFrame, e.g. training data before it reaches a model or a file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.errors import DataError
from shared.pii.redactor import Redactor, default_redactor, substitute
from shared.pii.report import RedactionReport

if TYPE_CHECKING:
    import pandas as pd


def redact_frame(
    df: pd.DataFrame, columns: Sequence[str], redactor: Redactor | None = None
) -> tuple[pd.DataFrame, RedactionReport]:
    """A copy of `df` with PII in `columns` replaced by placeholders, and the per-column report.

    Missing values stay missing. Non-text cells (a card number stored as an int) are scanned as text
    and replaced by the redacted string only when something was found. The input frame is not modified.
    """
    if isinstance(columns, str):
        columns = [columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"Cannot redact column(s) {missing}: not in the data (columns: {list(map(str, df.columns))})."
        )
    redactor = redactor or default_redactor()
    report = RedactionReport()
    out = df.copy()
    for column in columns:
        values = out[column].tolist()
        changed = False
        for i, value in enumerate(values):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            text = value if isinstance(value, str) else str(value)
            findings = redactor.find(text)
            report.add(str(column), findings)
            if findings:
                values[i] = substitute(text, findings)
                changed = True
        if changed:
            import pandas as pd

            out[column] = pd.Series(values, index=out.index, name=out[column].name)
    return out, report
