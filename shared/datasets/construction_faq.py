"""The Swedish Construction FAQ by Zaragoza AB (CC BY 4.0), read from its PyPI wheel.

503 question/answer pairs in 39 categories, in English (`en`) and Swedish (`sv`). The package is never
installed: the wheel is fetched once into the cache and its JSONL member is read with zipfile.
"""

from __future__ import annotations

import json

import pandas as pd

from shared.datasets.wheels import read_wheel_member
from shared.errors import DataError

PACKAGE = "zaragoza-construction-faq"
VERSION = "1.2.1"
LICENSE = "CC-BY-4.0"
CITATION = (
    "Swedish Construction FAQ by Zaragoza AB, CC BY 4.0. "
    "https://github.com/zaragoza-ab/swedish-construction-faq-1000 (DOI 10.5281/zenodo.19630803); "
    f"read from the PyPI package {PACKAGE}=={VERSION}."
)
_MEMBERS = {"en": "*/data/faq-en.jsonl", "sv": "*/data/faq.jsonl"}
COLUMNS = ["id", "question", "answer", "category", "sources", "related_service"]


def load_construction_faq(lang: str = "en") -> pd.DataFrame:
    """All Q&A pairs as a DataFrame with columns `id, question, answer, category, sources, related_service`.

    `sources` is a list of the legal/official references the answer cites (possibly empty).
    """
    if lang not in _MEMBERS:
        raise DataError(f"Unknown language {lang!r} for the construction FAQ; use one of {sorted(_MEMBERS)}.")
    raw = read_wheel_member(PACKAGE, VERSION, _MEMBERS[lang]).decode("utf-8")
    rows = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"Line {number} of {PACKAGE}=={VERSION} {_MEMBERS[lang]} is not JSON: {exc}") from exc
        rows.append({
            "id": rec.get("id", f"{lang}-{number}"),
            "question": rec["q"].strip(),
            "answer": rec["a"].strip(),
            "category": rec.get("category", ""),
            "sources": list(rec.get("sources") or []),
            "related_service": rec.get("related_service") or "",
        })
    return pd.DataFrame(rows, columns=COLUMNS)
