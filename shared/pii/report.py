"""`RedactionReport`: how many findings of each type, per column. Counts only, never the values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.pii.findings import Finding


@dataclass
class RedactionReport:
    # (column, kind) -> number of redacted spans; column -> rows/texts with at least one redaction.
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    texts_scanned: Counter[str] = field(default_factory=Counter)
    texts_redacted: Counter[str] = field(default_factory=Counter)

    def add(self, column: str, findings: Iterable[Finding]) -> None:
        findings = list(findings)
        self.texts_scanned[column] += 1
        if findings:
            self.texts_redacted[column] += 1
        for f in findings:
            self.counts[(column, f.kind)] += 1

    def merge(self, other: RedactionReport) -> RedactionReport:
        self.counts.update(other.counts)
        self.texts_scanned.update(other.texts_scanned)
        self.texts_redacted.update(other.texts_redacted)
        return self

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_type(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for (_, kind), n in self.counts.items():
            out[kind] += n
        return dict(sorted(out.items()))

    def by_column(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (column, kind), n in sorted(self.counts.items()):
            out.setdefault(column, {})[kind] = n
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary, e.g. for a model card."""
        return {
            "total": self.total,
            "by_type": self.by_type(),
            "by_column": self.by_column(),
            "texts_scanned": dict(self.texts_scanned),
            "texts_redacted": dict(self.texts_redacted),
        }

    def __str__(self) -> str:
        if not self.counts:
            return f"no PII found in {sum(self.texts_scanned.values())} text(s)"
        lines = [f"{self.total} PII span(s) redacted"]
        for column, kinds in self.by_column().items():
            detail = ", ".join(f"{kind}={n}" for kind, n in kinds.items())
            lines.append(
                f"  {column}: {detail} ({self.texts_redacted[column]}/{self.texts_scanned[column]} texts)"
            )
        return "\n".join(lines)
