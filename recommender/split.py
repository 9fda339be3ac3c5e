"""Time-respecting splits. Nothing in a training part may happen after anything it is evaluated on.

- `temporal_split`: two global cut-off times → train / validation / test. Models fit on train, the ranker
  on validation, everything is scored on test: no interaction from the future reaches a model.
- `leave_last_out`: per user, the last `n` events are held out and the history keeps only events strictly
  before the user's first held-out event (ties in time go to the held-out side).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.errors import RecConfigError, RecDataError


@dataclass(frozen=True)
class TemporalSplit:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    val_start: int   # Unix seconds: first instant of the validation window
    test_start: int  # Unix seconds: first instant of the test window


def cutoffs(interactions: pd.DataFrame, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> tuple[int, int]:
    """Times that put about `fractions` of the events in train / validation / test."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0) \
            or fractions[0] == 0 or fractions[2] == 0:
        raise RecConfigError(f"fractions must be three non-negative numbers summing to 1 with train and test "
                             f"above 0, got {fractions!r}.")
    ts = np.sort(interactions["timestamp"].to_numpy())
    if len(ts) < 3:
        raise RecDataError(f"Need at least 3 interactions to split by time, got {len(ts)}.")
    val_start = int(ts[min(int(len(ts) * fractions[0]), len(ts) - 1)])
    test_start = int(ts[min(int(len(ts) * (fractions[0] + fractions[1])), len(ts) - 1)])
    return val_start, max(test_start, val_start)


def temporal_split(interactions: pd.DataFrame, val_start: int | None = None, test_start: int | None = None,
                   fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> TemporalSplit:
    """train: t < val_start; val: val_start <= t < test_start; test: t >= test_start."""
    if val_start is None or test_start is None:
        val_start, test_start = cutoffs(interactions, fractions)
    if test_start < val_start:
        raise RecConfigError(f"test_start ({test_start}) is before val_start ({val_start}).")
    t = interactions["timestamp"]
    train = interactions[t < val_start]
    val = interactions[(t >= val_start) & (t < test_start)]
    test = interactions[t >= test_start]
    if train.empty or test.empty:
        raise RecDataError(f"The time split left train with {len(train)} and test with {len(test)} "
                           "interactions: choose other cut-off times.")
    return TemporalSplit(train.reset_index(drop=True), val.reset_index(drop=True),
                         test.reset_index(drop=True), int(val_start), int(test_start))


def leave_last_out(interactions: pd.DataFrame, n: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, held_out): each user's last `n` events held out; users with <= n events stay whole in history."""
    if not isinstance(n, int) or n < 1:
        raise RecConfigError(f"n must be a positive integer, got {n!r}.")
    df = interactions.sort_values(["user_id", "timestamp"], kind="stable")
    size = df.groupby("user_id", sort=False)["item_id"].transform("size")
    rank_from_end = df.groupby("user_id", sort=False).cumcount(ascending=False)
    held = df[(rank_from_end < n) & (size > n)]
    first_held = held.groupby("user_id")["timestamp"].min()
    cut = df["user_id"].map(first_held)
    history = df[cut.isna() | (df["timestamp"] < cut)]
    return history.reset_index(drop=True), held.reset_index(drop=True)
