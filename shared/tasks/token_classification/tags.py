"""Tag schemes: IO → BIO conversion, and BIO tags → entity spans.

IO tagging (FiNER, Wikigold) marks every entity word `I-TYPE`; BIO marks the first word `B-TYPE`. We train and
evaluate on BIO. Two adjacent IO entities of one type are indistinguishable in IO and become one entity.
"""

from __future__ import annotations

from collections.abc import Sequence

OUTSIDE = "O"


def split_tag(tag: str) -> tuple[str, str | None]:
    """('B', 'ORG') for 'B-ORG', ('O', None) for 'O'. Callers validate tags before (`is_valid_tag`)."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def is_valid_tag(tag: str) -> bool:
    if tag == OUTSIDE:
        return True
    prefix, sep, kind = tag.partition("-")
    return bool(sep) and prefix in ("B", "I") and bool(kind) and " " not in kind


def to_bio(tags: Sequence[str]) -> list[str]:
    """IO (or BIO, or a model's possibly inconsistent BIO) → consistent BIO: an `I-X` that does not
    continue an entity of type X starts one."""
    out: list[str] = []
    prev_kind: str | None = None
    for tag in tags:
        prefix, kind = split_tag(tag)
        if kind is None:
            out.append(OUTSIDE)
        elif prefix == "B" or kind != prev_kind:
            out.append(f"B-{kind}")
        else:
            out.append(f"I-{kind}")
        prev_kind = kind
    return out


def bio_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entities as (first word, last word + 1, type) from BIO tags (repaired with `to_bio` first)."""
    spans: list[tuple[int, int, str]] = []
    start, kind = -1, None
    for i, tag in enumerate([*to_bio(tags), OUTSIDE]):
        prefix, tkind = split_tag(tag)
        if kind is not None and (prefix != "I" or tkind != kind):
            spans.append((start, i, kind))
            kind = None
        if prefix == "B":
            start, kind = i, tkind
    return spans


def label_set(kinds: Sequence[str]) -> tuple[str, ...]:
    """'O' then B-/I- for each entity type, in a fixed order (the model's output columns)."""
    return (OUTSIDE, *(f"{p}-{k}" for k in sorted(set(kinds)) for p in ("B", "I")))
