"""National ID numbers: user-supplied regular expressions, one per ID scheme.

ID formats differ per country and most carry no checksum we could verify generically, so the user
names the schemes they hold (`NationalIdPattern("us_ssn", r"\\b\\d{3}-\\d{2}-\\d{4}\\b")`). Each match
becomes `[NATIONAL_ID]`, or `[<label>]` when the pattern has a label. Patterns are compiled when the
config is built, so a typo fails before any data is touched. `COMMON_PATTERNS` offers a few
ready-made ones to opt into.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.errors import ConfigError
from shared.pii.findings import Finding

DEFAULT_LABEL = "NATIONAL_ID"
_LABEL = re.compile(r"^[A-Z][A-Z0-9_]*$")

COMMON_PATTERNS: dict[str, str] = {
    # US Social Security number, area 000/666/9xx, group 00 and serial 0000 never issued.
    "us_ssn": r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b",
    # UK National Insurance number, e.g. "QQ 12 34 56 C".
    "uk_nino": r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
}


@dataclass(frozen=True)
class NationalIdPattern:
    name: str = field(metadata={"help": "Name of the ID scheme, used in error messages, e.g. 'us_ssn'."})
    pattern: str = field(metadata={"help": "Python regular expression matching one ID."})
    label: str | None = field(
        default=None, metadata={"help": "Placeholder label (upper case); default NATIONAL_ID."}
    )

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("A national ID pattern needs a non-empty name, e.g. 'us_ssn'.")
        if self.label is not None and not _LABEL.match(self.label):
            raise ConfigError(
                f"National ID pattern {self.name!r}: label {self.label!r} must be upper-case letters, "
                "digits and underscores, starting with a letter (e.g. 'SSN')."
            )
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ConfigError(
                f"National ID pattern {self.name!r} is not a valid regular expression "
                f"({exc}): {self.pattern!r}. Fix the pattern in the redaction config."
            ) from None
        if compiled.match(""):
            raise ConfigError(
                f"National ID pattern {self.name!r} matches the empty string: {self.pattern!r}. "
                "It would redact nothing useful; make it require at least one character."
            )
        object.__setattr__(self, "_compiled", compiled)

    @property
    def compiled(self) -> re.Pattern[str]:
        return self._compiled  # type: ignore[attr-defined]

    @property
    def kind(self) -> str:
        return self.label or DEFAULT_LABEL


class NationalIdDetector:
    """Runs every configured pattern; `kind` varies per pattern, so findings carry their own."""

    kind = DEFAULT_LABEL

    def __init__(self, patterns: Sequence[NationalIdPattern]) -> None:
        self.patterns = tuple(patterns)

    def find(self, text: str) -> list[Finding]:
        return [
            Finding(m.start(), m.end(), p.kind)
            for p in self.patterns
            for m in p.compiled.finditer(text)
            if m.end() > m.start()
        ]
