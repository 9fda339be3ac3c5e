from __future__ import annotations

import random

import pandas as pd
import pytest

SPORT = ["football", "goal", "striker", "match", "league", "referee", "stadium", "coach"]
MARKET = ["shares", "profit", "dividend", "earnings", "investors", "revenue", "stock", "quarter"]


def separable_frame(n_per_class: int = 30, seed: int = 0) -> pd.DataFrame:
    """Two topics with disjoint vocabularies: any working classifier must learn it perfectly."""
    rng = random.Random(seed)
    rows = []
    for label, words in (("sport", SPORT), ("market", MARKET)):
        for _ in range(n_per_class):
            rows.append((" ".join(rng.sample(words, 4)), label))
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.fixture(scope="session")
def separable() -> pd.DataFrame:
    return separable_frame()
