"""The label ↔ id map, saved with the model so predictions come back as the user's labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.errors import UnknownLabelError


@dataclass(frozen=True)
class LabelMap:
    labels: tuple[str, ...]

    @classmethod
    def fit(cls, values: Iterable[str]) -> LabelMap:
        return cls(tuple(sorted({str(v) for v in values})))

    def encode(self, values: Sequence[str]) -> list[int]:
        index = {label: i for i, label in enumerate(self.labels)}
        unknown = sorted({str(v) for v in values} - index.keys())
        if unknown:
            raise UnknownLabelError(
                f"Label {unknown[0]!r} was not seen in training (known: {', '.join(self.labels[:10])}"
                f"{'…' if len(self.labels) > 10 else ''}). Fix the label or retrain with it."
            )
        return [index[str(v)] for v in values]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.labels[int(i)] for i in ids]

    def __len__(self) -> int:
        return len(self.labels)
