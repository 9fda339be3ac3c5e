"""IBANs: country code, two check digits, a country-specific BBAN; verified with the ISO 13616 mod-97 check.

Accepts the compact form (`DE89370400440532013000`) and the printed form in groups of four
(`DE89 3704 0044 0532 0130 00`), in either case. The expected length per country comes from the SWIFT
IBAN registry, so a candidate that runs on into the next word ("... 0130 00 EUR") is cut at the right
length instead of being rejected.
"""

from __future__ import annotations

import re

from shared.pii.findings import Finding

# Total IBAN length per country (SWIFT IBAN registry, release 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}

# Where an IBAN may start: two letters and two check digits at a token start.
_START = re.compile(r"(?<![\w])([A-Za-z]{2})(\d{2})(?=[ ]?[A-Za-z0-9])")
# The printed form's shape: groups of four separated by single spaces, the last group 1-4 long.
_GROUPED = re.compile(r"[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4})*(?: [A-Za-z0-9]{1,4})?(?![\w])")
_COMPACT = re.compile(r"[A-Za-z0-9]+(?![\w])")


MIN_LENGTH, MAX_LENGTH = 15, 34


def _compact(value: str) -> str:
    return value.replace(" ", "").upper()


def iban_checksum_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10: move the first four characters to the end, letters to 10..35, remainder 1."""
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


class IbanDetector:
    kind = "IBAN"

    def find(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        last_end = 0
        for m in _START.finditer(text):
            if m.start() < last_end:
                continue
            length = IBAN_LENGTHS.get(m.group(1).upper())
            if length is None:
                continue
            end = self._checked_end(text, m.start(), length)
            if end is not None:
                findings.append(Finding(m.start(), end, self.kind))
                last_end = end
        return findings

    def _checked_end(self, text: str, start: int, length: int) -> int | None:
        """End of a checksum-valid IBAN starting at `start`, or None.

        First the registry length for the country; failing that, the whole well-formed token (compact,
        or groups of four): registries change and generated or mistyped numbers do not always match
        them, but a passing mod-97 check over a well-formed token is still strong evidence.
        Only one fallback cut is tried, so a failing number gets no second chance on a shorter prefix.
        """
        end = self._end_of(text, start, length)
        if end is not None and iban_checksum_valid(_compact(text[start:end])):
            return end
        grouped = _GROUPED.match(text, start)
        compact = _COMPACT.match(text, start)
        best = max((m for m in (grouped, compact) if m), key=lambda m: m.end(), default=None)
        if best is None:
            return None
        value = _compact(best.group())
        if MIN_LENGTH <= len(value) <= MAX_LENGTH and iban_checksum_valid(value):
            return best.end()
        return None

    @staticmethod
    def _end_of(text: str, start: int, length: int) -> int | None:
        """Index just past the `length`-th alphanumeric character from `start`, or None.

        Rejects a cut in the middle of a token: an IBAN must end at a token boundary.
        """
        seen = 0
        i = start
        while i < len(text) and seen < length:
            ch = text[i]
            if ch.isascii() and ch.isalnum():
                seen += 1
            elif ch != " " or (i + 1 < len(text) and text[i + 1] == " "):
                return None  # only single spaces may separate the groups
            i += 1
        if seen < length:
            return None
        if i < len(text) and text[i].isalnum():
            return None
        return i
