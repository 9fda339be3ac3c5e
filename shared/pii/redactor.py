"""`Redactor`: runs the enabled detectors, resolves overlapping findings and substitutes placeholders.

Overlap rule: phone matches lose to any overlapping match of another type (a card number or IBAN is
also a plausible phone digit run, and the checksum makes the other reading far more likely); among
the rest the longest span wins, ties going to the earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from shared.pii.cards import CardDetector
from shared.pii.config import RedactionConfig
from shared.pii.emails import EmailDetector
from shared.pii.findings import Detector, Finding
from shared.pii.ibans import IbanDetector
from shared.pii.ips import IpDetector
from shared.pii.national_ids import NationalIdDetector
from shared.pii.phones import PhoneDetector
from shared.pii.report import RedactionReport

_WEAK_KINDS = frozenset({"PHONE"})  # digit-shape-only evidence; yields to checksummed/structured matches


class Redactor:
    """`detectors` replaces the ones built from `config` (extra PII families, or tests)."""

    def __init__(
        self, config: RedactionConfig | None = None, detectors: Sequence[Detector] | None = None
    ) -> None:
        self.config = config or RedactionConfig()
        if detectors is not None:
            self.detectors: tuple[Detector, ...] = tuple(detectors)
            return
        c = self.config
        built: list[Detector] = []
        if c.emails:
            built.append(EmailDetector())
        if c.cards:
            built.append(CardDetector())
        if c.ibans:
            built.append(IbanDetector())
        if c.ips:
            built.append(IpDetector())
        if c.national_ids:
            built.append(NationalIdDetector(c.national_ids))
        if c.phones:
            built.append(PhoneDetector(c.phone_regions, c.phone_leniency))
        self.detectors = tuple(built)

    def find(self, text: str) -> list[Finding]:
        """Non-overlapping findings in text order."""
        candidates = [f for d in self.detectors for f in d.find(text)]
        candidates.sort(key=lambda f: (f.kind in _WEAK_KINDS, -len(f), f.start))
        chosen: list[Finding] = []
        for f in candidates:
            if not any(f.overlaps(c) for c in chosen):
                chosen.append(f)
        return sorted(chosen, key=lambda f: f.start)

    def redact(self, text: str) -> str:
        return substitute(text, self.find(text))

    def redact_with_report(
        self, text: str, column: str = "text", report: RedactionReport | None = None
    ) -> tuple[str, RedactionReport]:
        """Redacted text plus a report; pass `report` to accumulate over many texts."""
        report = report if report is not None else RedactionReport()
        findings = self.find(text)
        report.add(column, findings)
        return substitute(text, findings), report


def substitute(text: str, findings: list[Finding]) -> str:
    """Replace each (non-overlapping, sorted) finding with its `[KIND]` placeholder."""
    if not findings:
        return text
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(f"[{f.kind}]")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    return Redactor(RedactionConfig())


def redact(text: str) -> str:
    """Redact with the default config (all built-in detectors, default phone regions)."""
    return default_redactor().redact(text)
