"""Banking77: 13,083 online-banking customer queries in 77 intents (published train/test split)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shared.datasets.download import fetch_to
from shared.paths import data_dir

LICENSE = "CC BY 4.0 (see LICENSE in the data folder)"
CITATION = ("Casanueva, Temčinas, Gerz, Henderson, Vulić (2020), 'Efficient Intent Detection with Dual "
            "Sentence Encoders'")
SOURCE_URL = ("https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/master/"
              "replicating_pretrained_models/data/banking_data/{split}.csv")


def load_banking77(data_dir_: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) DataFrames with columns text, label."""
    folder = data_dir(data_dir_) / "banking77"
    frames = []
    for split in ("train", "test"):
        path = folder / f"{split}.csv"
        if not path.exists():
            fetch_to(SOURCE_URL.format(split=split), path)
        df = pd.read_csv(path, encoding="utf-8")
        frames.append(df.rename(columns={"category": "label"})[["text", "label"]])
    return frames[0], frames[1]
