"""The TREC loader: Latin-1 bytes read faithfully, coarse (TREC-6) and fine (TREC-50) labels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.datasets.trec import load_trec
from shared.errors import DatasetNotFoundError

TRAIN = "DESC:manner How did serfdom develop in and then leave Russia ?\n" \
        "LOC:other Where is the Caf\xe9 Procope ?\n" \
        "ENTY:other What is the Ab\xe9 ?\n"
TEST = "NUM:date When was Ozzy Osbourne born ?\n"


def _write(folder: Path) -> None:
    (folder / "trec").mkdir()
    (folder / "trec" / "train_5500.label").write_bytes(TRAIN.encode("latin-1"))
    (folder / "trec" / "TREC_10.label").write_bytes(TEST.encode("latin-1"))


def test_coarse_and_fine_labels_from_latin1(tmp_path):
    _write(tmp_path)
    train, test = load_trec(tmp_path, "coarse")
    assert train["label"].tolist() == ["DESC", "LOC", "ENTY"]
    assert train["text"][1] == "Where is the Café Procope ?"   # é came in as Latin-1 0xE9, not mangled
    fine, _ = load_trec(tmp_path, "fine")
    assert fine["label"].tolist() == ["DESC:manner", "LOC:other", "ENTY:other"]  # 'other' kept apart per class
    assert test["label"].tolist() == ["NUM"]


def test_bad_line_and_missing_file_are_named(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="train_5500.label"):
        load_trec(tmp_path)
    _write(tmp_path)
    (tmp_path / "trec" / "TREC_10.label").write_text("no-colon-label text\n")
    with pytest.raises(DatasetNotFoundError, match="TREC_10.label:1"):
        load_trec(tmp_path)
    with pytest.raises(ValueError, match="coarse, fine"):
        load_trec(tmp_path, "medium")


@pytest.mark.skipif(not os.environ.get("VERTICALS_DATA"), reason="VERTICALS_DATA not set")
def test_published_files_have_the_documented_sizes():
    train, test = load_trec(None, "coarse")
    assert (len(train), len(test)) == (5452, 500)
    assert train["label"].nunique() == 6
    fine_train, _ = load_trec(None, "fine")
    assert fine_train["label"].nunique() == 50
