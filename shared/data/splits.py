"""Stratified train/dev/test splits with a fixed seed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from sklearn.model_selection import train_test_split

from shared.errors import ConfigError, DataError

if TYPE_CHECKING:
    from shared.data.tables import CleanReport, TableSource


def stratified_split(df: pd.DataFrame, label_col: str | None, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                     seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ConfigError(f"Split fractions {tuple(fractions)} must be three non-negative numbers summing to 1.")
    train_f, dev_f, test_f = fractions
    strat = df[label_col] if label_col else None
    if strat is not None:
        counts = strat.value_counts()
        rare = counts[counts < 3]
        if len(rare):
            raise DataError(
                f"Label {rare.index[0]!r} has only {int(rare.iloc[0])} example(s); a stratified "
                f"train/dev/test split needs at least 3 per label. Add examples or pass your own splits."
            )
    rest, test = train_test_split(df, test_size=test_f, random_state=seed, stratify=strat) if test_f else (df, df.iloc[:0])
    if dev_f:
        strat_rest = rest[label_col] if label_col else None
        train, dev = train_test_split(rest, test_size=dev_f / (train_f + dev_f), random_state=seed,
                                      stratify=strat_rest)
    else:
        train, dev = rest, rest.iloc[:0]
    return train.reset_index(drop=True), dev.reset_index(drop=True), test.reset_index(drop=True)


def prepare_splits(data: TableSource | None, splits: Sequence[TableSource] | None, text_cols: list[str],
                   label_col: str | None, seed: int, what: str = "a data file (or DataFrame)",
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, CleanReport]:
    """Read and clean the user's explicit train/dev/test splits, or one table split here (seeded)."""
    from shared.data.tables import clean_text_rows, read_table

    if splits is not None:
        (train, report), (dev, _), (test, _) = [clean_text_rows(read_table(s), text_cols, label_col) for s in splits]
        return train, dev, test, report
    if data is None:
        raise DataError(f"Give {what}, or explicit train/dev/test splits.")
    df, report = clean_text_rows(read_table(data), text_cols, label_col)
    return (*stratified_split(df, label_col, seed=seed), report)
