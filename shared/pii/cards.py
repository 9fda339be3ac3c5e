"""Payment card numbers: 13-19 digits, optionally grouped by single spaces or dashes, Luhn-valid.

A run of digit groups may hold more than one number ("card 4111 1111 1111 1111 exp 2027" is fine, but
"4111 1111 1111 1111 2027" is one run): every contiguous sub-run of groups is tried and the longest
Luhn-valid one wins, so an adjacent year or amount neither hides the card nor gets redacted with it.
Luhn alone passes 1 in 10 random digit strings, so 12+ digits (and an issuer prefix below 16) are
required as well.
"""

from __future__ import annotations

import re

from shared.pii.findings import Finding

MIN_DIGITS, MAX_DIGITS = 12, 19  # Maestro issues 12-digit numbers
# Issuer prefixes allowed for numbers shorter than 16 digits, where Luhn alone would flag one in ten
# random reference numbers: Maestro (5x, 6x, 0604), Amex (34, 37), Diners (30, 36, 38, 39), JCB (1800,
# 2131), Visa (4, 13 digits). 16-19 digit numbers are accepted with any prefix.
_SHORT_PREFIXES = ("5", "6", "0604", "34", "37", "30", "36", "38", "39", "1800", "2131", "4")
# A letters-and-digits group just before the run ("DE89 3704 ...", "Z656 9070 ..."): the run is the
# tail of an IBAN or other code (one that failed its own check), not a card.
_CODE_BEFORE = re.compile(
    r"(?:(?:^|[\s(])(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{2,}|[A-Za-z]{2}\d{2}(?: [A-Z0-9]{4})+)[ -]$"
)
MIN_SUBRUN_DIGITS = 15  # a card cut out of a longer digit run must be long: short cuts pass Luhn by chance

# Digit groups joined by one space or dash, not glued to letters/digits on either side.
_RUN = re.compile(r"(?<![\w.,+])\d+(?:[ -]\d+)*(?![\w]|[.,]\d)")
_GROUP = re.compile(r"\d+")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum every issued payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _looks_like_card(digits: str) -> bool:
    # A run of one repeated digit ("0000 0000 0000 0000") is Luhn-valid but is a placeholder, not a card.
    if not (MIN_DIGITS <= len(digits) <= MAX_DIGITS) or len(set(digits)) == 1:
        return False
    if len(digits) < 16 and not digits.startswith(_SHORT_PREFIXES):
        return False
    return luhn_valid(digits)


class CardDetector:
    kind = "CARD"

    def find(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        for run in _RUN.finditer(text):
            groups = list(_GROUP.finditer(run.group()))
            if sum(len(g.group()) for g in groups) < MIN_DIGITS:
                continue
            if _CODE_BEFORE.search(text[max(0, run.start() - 40) : run.start()]):
                continue
            findings.extend(self._best_subruns(groups, run.start()))
        return findings

    def _best_subruns(self, groups: list[re.Match[str]], offset: int) -> list[Finding]:
        """Longest Luhn-valid contiguous group sequences, left to right, non-overlapping."""
        out: list[Finding] = []
        i = 0
        while i < len(groups):
            best_j = None
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j].group()
                if len(digits) > MAX_DIGITS:
                    break
                whole = i == 0 and j == len(groups) - 1
                if _looks_like_card(digits) and (whole or len(digits) >= MIN_SUBRUN_DIGITS):
                    best_j = j
            if best_j is None:
                i += 1
                continue
            out.append(Finding(offset + groups[i].start(), offset + groups[best_j].end(), self.kind))
            i = best_j + 1
        return out
