"""The splits never let a training part contain anything from after what it is evaluated on."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.errors import RecConfigError, RecDataError
from recommender.split import leave_last_out, temporal_split


def frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user_id": rng.choice([f"u{i}" for i in range(20)], n),
                         "item_id": rng.choice([f"i{i}" for i in range(50)], n),
                         "event": "view", "weight": 1.0, "timestamp": rng.integers(0, 10_000, n)})


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 0.8), st.floats(0.05, 0.15))
def test_temporal_split_has_no_future_in_train(seed, f_train, f_val):
    df = frame(seed=seed)
    s = temporal_split(df, fractions=(f_train, f_val, 1 - f_train - f_val))
    assert len(s.train) + len(s.val) + len(s.test) == len(df)
    assert s.train["timestamp"].max() < s.val_start <= s.test_start
    if len(s.val):
        assert s.val["timestamp"].max() < s.test_start <= s.test["timestamp"].min()
        assert s.train["timestamp"].max() < s.val["timestamp"].min()


def test_leave_last_out_keeps_only_earlier_events_per_user():
    df = frame(seed=3)
    hist, held = leave_last_out(df, n=2)
    assert len(hist) + len(held) <= len(df)
    for user, g in held.groupby("user_id"):
        h = hist[hist["user_id"] == user]
        assert len(g) == 2
        assert (h["timestamp"] < g["timestamp"].min()).all()
        # the held-out events are the user's latest ones
        assert g["timestamp"].min() >= df[df["user_id"] == user]["timestamp"].nlargest(2).min()


def test_leave_last_out_ties_go_to_held_out_side():
    df = pd.DataFrame({"user_id": ["a"] * 3, "item_id": ["x", "y", "z"], "timestamp": [1, 5, 5]})
    hist, held = leave_last_out(df, n=1)
    assert list(hist["item_id"]) == ["x"]  # "y" shares the held-out time: it must not stay in history
    assert len(held) == 1


def test_bad_split_arguments_raise_clear_errors():
    with pytest.raises(RecConfigError, match="fractions"):
        temporal_split(frame(), fractions=(0.5, 0.5, 0.5))
    with pytest.raises(RecConfigError, match="positive integer"):
        leave_last_out(frame(), n=0)
    with pytest.raises(RecDataError, match="at least 3"):
        temporal_split(frame(n=2))
