"""Public data sets the suite uses, each with its licence and citation (see `catalog`)."""

from shared.datasets.banking77 import load_banking77
from shared.datasets.phrasebank import load_financial_phrasebank

__all__ = ["load_banking77", "load_financial_phrasebank"]
