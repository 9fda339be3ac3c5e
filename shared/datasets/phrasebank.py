"""Financial PhraseBank v1.0 (sentences with >= 50% annotator agreement)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from shared.datasets.download import fetch_to
from shared.errors import DatasetNotFoundError
from shared.paths import data_dir

LICENSE = "CC BY-NC-SA 3.0"
CITATION = ("Malo, Sinha, Korhonen, Wallenius, Takala (2014), 'Good debt or bad debt: Detecting semantic "
            "orientations in economic texts', JASIST 65(4)")
SOURCE_URL = ("https://huggingface.co/datasets/takala/financial_phrasebank/resolve/main/data/"
              "FinancialPhraseBank-v1.0.zip")
FILE = "Sentences_50Agree.txt"


def load_financial_phrasebank(data_dir_: str | Path | None = None) -> pd.DataFrame:
    """DataFrame[text, label] with label in {negative, neutral, positive}; 4,846 rows."""
    folder = data_dir(data_dir_) / "financial_phrasebank"
    path = folder / FILE
    if not path.exists():
        _download(folder)
    rows = []
    # The file is UTF-8 with a BOM and CRLF line ends; the label follows the last '@'.
    for line in path.read_text(encoding="utf-8-sig", errors="strict").splitlines():
        if not line.strip():
            continue
        text, sep, label = line.rpartition("@")
        if not sep:
            raise DatasetNotFoundError(f"{path}: line without '@label': {line[:60]!r}")
        rows.append((text.strip(), label.strip()))
    return pd.DataFrame(rows, columns=["text", "label"])


def _download(folder: Path) -> None:
    archive = fetch_to(SOURCE_URL, folder / "FinancialPhraseBank-v1.0.zip")
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as zf:
        member = next((n for n in zf.namelist() if n.endswith(FILE)), None)
        if member is None:
            raise DatasetNotFoundError(f"{archive} does not contain {FILE}.")
        (folder / FILE).write_bytes(zf.read(member))
