"""TREC question classification (Li & Roth, 2002): 5,452 training and 500 test questions.

Each line is `COARSE:fine question text`. The files are Latin-1 (a few bytes are not UTF-8), so they are
read as Latin-1, never with errors ignored. TREC-6 uses the coarse class (ABBR, DESC, ENTY, HUM, LOC,
NUM); TREC-50 the fine one, written `COARSE:fine` because fine names repeat across coarse classes
(`other` is under ENTY, HUM, LOC and NUM).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shared.errors import DatasetNotFoundError
from shared.paths import data_dir

LICENSE = "distributed freely for research by the Cognitive Computation Group; no explicit licence"
CITATION = "Li and Roth (2002), 'Learning Question Classifiers', COLING"
FILES = {"train": "train_5500.label", "test": "TREC_10.label"}
LEVELS = ("coarse", "fine")


def read_trec_file(path: Path) -> pd.DataFrame:
    """DataFrame[text, coarse, fine] from one TREC label file."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="latin-1").splitlines(), 1):
        if not line.strip():
            continue
        label, _, text = line.partition(" ")
        coarse, sep, fine = label.partition(":")
        if not sep or not text.strip():
            raise DatasetNotFoundError(f"{path}:{n}: expected 'COARSE:fine question', got {line[:60]!r}.")
        rows.append((text.strip(), coarse, f"{coarse}:{fine}"))
    return pd.DataFrame(rows, columns=["text", "coarse", "fine"])


def load_trec(data_dir_: str | Path | None = None, level: str = "coarse") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) with columns text, label; `level` 'coarse' (TREC-6) or 'fine' (TREC-50)."""
    if level not in LEVELS:
        raise ValueError(f"TREC level must be one of {', '.join(LEVELS)}, got {level!r}.")
    folder = data_dir(data_dir_) / "trec"
    frames = []
    for split, name in FILES.items():
        path = folder / name
        if not path.exists():
            raise DatasetNotFoundError(f"TREC {split} file {path} is missing: put train_5500.label and "
                                       f"TREC_10.label (Li & Roth) in {folder}.")
        frame = read_trec_file(path)
        frames.append(frame.rename(columns={level: "label"})[["text", "label"]])
    return frames[0], frames[1]
