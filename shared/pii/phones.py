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
    "US",
    "GB",
    "DE",
    "FR",
    "ES",
    "IT",
    "NL",
    "SE",
    "IN",
    "AU",
    "CA",
    "IE",
    "CH",
    "AT",
    "BE",
    "FI",
)
LENIENCIES = {"possible": Leniency.POSSIBLE, "valid": Leniency.VALID}
MIN_DIGITS = 7  # shorter digit runs are counts, codes and amounts far more often than phones
MAX_DIGITS = 15  # E.164 maximum; longer runs are card or account numbers (that failed their checks)

_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension|#)\s*\d+$")
_DATE = re.compile(r"^\d{1,4}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,4}$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[-/]\s*(?:(?:19|20)?\d\d)$")
_DECIMAL_TOKEN = re.compile(r"^\(?\d+[.,]\d{1,3}\)?$")  # "164.1", "86.936": one decimal mark, <= 3 decimals
_SHORT_DOT_GROUP = re.compile(r"\.\d(?!\d)")  # "39.8 - 33.1": one digit after a dot is a decimal
# "9 540 000", "26 885 540": thousands grouped by spaces with a short head group; a phone's national
# prefix or area code is not one or two digits followed by groups of exactly three.
_SPACED_THOUSANDS = re.compile(r"^[1-9]\d?(?: \d{3}){2,}$")
_OPEN_BEFORE_PLUS = re.compile(r"\((?=\+\d)")
_DOTTED_QUAD = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")  # an (invalid) IPv4 address, not a phone
# Words right before / after a digit run that make it an amount, a quantity or a reference number.
_CUE_BEFORE = re.compile(
    r"(?i)(?:\b(?:eur|usd|gbp|sek|nok|dkk|chf|jpy|rs|inr|aud|ref|reference|order|invoice|inv|ticket|"
    r"case|isbn|issn|id|no|nr|tracking|account|acct|iban|bic|swift|card)\.?|[$€£¥#])\s*[:#]?\s*$"
)
_CUE_AFTER = re.compile(
    r"(?i)^\s*(?:%|pct|percent|per\s*cent|euros?|eur|dollars?|usd|\$|€|£|mn|mln|million|bn|billion|"
    r"thousand|shares|units|tons|tonnes|litres|liters|km|kg|m2|sq)\b"
)
# A letters-and-digits group right before the run ("DE89 3704 ...") or more digit groups around it:
# the run is the tail of an account number or a longer code, not a phone of its own.
_CODE_BEFORE = re.compile(
    r"(?:(?:^|[\s(])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{2,}|[A-Za-z]{2}\d{2}(?: [A-Z0-9]{4})+)[ -]$"
    r"|[A-Za-z]-$"  # "ORD-59284947": a reference glued to its prefix
)
_DIGITS_AROUND_BEFORE = re.compile(r"\d[ .,-]?$")  # "328.6 201 160.7": the match starts inside a figure
_DIGITS_AROUND_AFTER = re.compile(r"^[ .,-]?\d")


def _shape_ok(raw: str) -> bool:
    core = _EXTENSION.sub("", raw).strip().lstrip("( ")
    digits = sum(ch.isdigit() for ch in core)
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        return False
    if re.search(r"[.,;]\s", core):
        return False  # sentence punctuation inside: two figures of the prose, not one number
    if (
        _DATE.match(core)
        or _YEAR_RANGE.match(core)
        or _DOTTED_QUAD.match(core)
        or _SPACED_THOUSANDS.match(core)
    ):
        return False
    if "/" in core and not core.startswith("0"):
        return False  # "2009/31734" is a reference; "030/1234567" (German area code) is a phone
    if "." in core and not core.startswith("+"):
        if _SHORT_DOT_GROUP.search(core):
            return False
        if any(_DECIMAL_TOKEN.match(tok) for tok in core.split()):
            return False
    return True


def _context_ok(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    after = text[end : end + 16]
    if (before and before[-1].isalnum()) or (after and after[0].isalnum()):
        return False  # digits inside a longer token ("GB07DHUU90996030824628")
    if _CUE_BEFORE.search(before) or _CUE_AFTER.match(after):
        return False
    if _CODE_BEFORE.search(before):
        return False
    # Part of a longer digit-group run (a card or account number that failed its checksum).
    return not (_DIGITS_AROUND_BEFORE.search(before) or _DIGITS_AROUND_AFTER.match(after))


class PhoneDetector:
    kind = "PHONE"

    def __init__(self, regions: Sequence[str] = DEFAULT_REGIONS, leniency: str = "possible") -> None:
        self.regions = tuple(regions)
        self.leniency = LENIENCIES[leniency]

    def find(self, text: str) -> list[Finding]:
        if sum(ch.isdigit() for ch in text) < MIN_DIGITS:
            return []
        # The matcher rejects "(+44 113 496 0562)"; blanking such a bracket keeps every offset valid.
        scan = _OPEN_BEFORE_PLUS.sub(" ", text)
        spans: set[tuple[int, int]] = set()
        for region in self.regions:
            for match in PhoneNumberMatcher(scan, region, leniency=self.leniency):
                if (
                    (match.start, match.end) not in spans
                    and _shape_ok(match.raw_string)
                    and _context_ok(text, match.start, match.end)
                ):
                    spans.add((match.start, match.end))
        return [Finding(start, end, self.kind) for start, end in sorted(spans)]


def supported_regions() -> frozenset[str]:
    return frozenset(phonenumbers.SUPPORTED_REGIONS)
