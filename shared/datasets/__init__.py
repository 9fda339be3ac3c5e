"""Public data sets the suite uses, each with its licence and citation (see `catalog`)."""

from shared.datasets.banking77 import load_banking77
from shared.datasets.construction_faq import load_construction_faq
from shared.datasets.guardian_headlines import load_guardian_headlines
from shared.datasets.movielens import load_movielens_100k
from shared.datasets.phrasebank import load_financial_phrasebank
from shared.datasets.reuters_r8 import load_reuters_r8
from shared.datasets.trec import load_trec

__all__ = ["load_banking77", "load_construction_faq", "load_financial_phrasebank", "load_guardian_headlines",
           "load_movielens_100k", "load_reuters_r8", "load_trec"]
