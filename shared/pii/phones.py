"""Phone numbers, found by Google's libphonenumber (`phonenumbers`) in several regions at once.

Numbers with a `+` or `00` international prefix are recognised whatever the region list; numbers in
national format only where one of the configured regions' numbering plans allows them. The matcher
runs at `POSSIBLE` leniency (right length for the region) by default because real-world and generated
numbers often use unassigned prefixes that `VALID` rejects; the shape filters below then remove what
prose is full of and phones are not: dates, decimals, year ranges, money amounts.
Not handled: numbers written in words, vanity numbers ("1-800-FLOWERS").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from shared.pii.findings import Finding

DEFAULT_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "IN", "AU", "CA", "IE", "CH", "AT", "BE", "FI",
)
LENIENCIES = {"possible": Leniency.POSSIBLE, "valid": Leniency.VALID}
MIN_DIGITS = 7  # shorter digit runs are counts, codes and amounts far more often than phones

_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension|#)\s*\d+$")
_DATE = re.compile(r"^\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,4}$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[-/]\s*(?:(?:19|20)?\d\d)$")
_DECIMAL_TOKEN = re.compile(r"^\(?\d+[.,]\d+\)?$")  # "164.1", "25,4": a number with one decimal mark
_SHORT_DOT_GROUP = re.compile(r"\.\d(?!\d)")  # "39.8 - 33.1": one digit after a dot is a decimal


def _shape_ok(raw: str) -> bool:
    core = _EXTENSION.sub("", raw)
    digits = sum(ch.isdigit() for ch in core)
    if digits < MIN_DIGITS:
        return False
    if _DATE.match(core) or _YEAR_RANGE.match(core):
        return False
    if "." in core:
        if _SHORT_DOT_GROUP.search(core):
            return False
        if any(_DECIMAL_TOKEN.match(tok) for tok in core.split()):
            return False
    return True


class PhoneDetector:
    kind = "PHONE"

    def __init__(self, regions: Sequence[str] = DEFAULT_REGIONS, leniency: str = "possible") -> None:
        self.regions = tuple(regions)
        self.leniency = LENIENCIES[leniency]

    def find(self, text: str) -> list[Finding]:
        if sum(ch.isdigit() for ch in text) < MIN_DIGITS:
            return []
        spans: set[tuple[int, int]] = set()
        for region in self.regions:
            for match in PhoneNumberMatcher(text, region, leniency=self.leniency):
                if (match.start, match.end) not in spans and _shape_ok(match.raw_string):
                    spans.add((match.start, match.end))
        return [Finding(start, end, self.kind) for start, end in sorted(spans)]


def supported_regions() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)
