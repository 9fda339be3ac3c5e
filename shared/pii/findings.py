"""What a detector reports: a typed span of the text, never the matched value itself.

Keeping the value out of this object is deliberate: findings flow into reports and logs, and a
report that echoed what it found would itself leak the PII it is meant to remove.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Finding:
    """A half-open span `[start, end)` of the scanned text holding PII of type `kind` (e.g. "EMAIL")."""

    start: int
    end: int
    kind: str

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end


class Detector(Protocol):
    """One PII family. `kind` doubles as the placeholder label: findings are replaced by `[kind]`."""

    kind: str

    def find(self, text: str) -> Iterable[Finding]: ...
