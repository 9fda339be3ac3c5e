"""Read labelled sentences: CoNLL files (a token and its tag per line) and JSONL with character-offset spans.

CoNLL: one token per line, the token first and the tag last (`token POS chunk TAG` and `token TAG` both work),
a blank line between sentences, `-DOCSTART-` lines ignored; IO or BIO tags. JSONL: one object per line,
`{"text": ..., "spans": [{"start": 0, "end": 5, "label": "ORG"}, ...]}` (`entities` and `type` are accepted
too); the text is split into words with `words_of`, and every span must start and end on word boundaries.
Every error names the file and line so the user can fix it.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shared.errors import DataError
from shared.tasks.token_classification.tags import OUTSIDE, bio_spans, is_valid_tag, split_tag, to_bio

WORD_RE = re.compile(r"\w+|[^\w\s]")
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


@dataclass
class Sentence:
    words: list[str]
    tags: list[str]                      # BIO after reading (IO input is converted)
    line: int = 0                        # where it starts in its file (1-based), for error messages
    source: str = ""
    text: str | None = None              # the raw text when known (JSONL, prediction)
    starts: list[int] = field(default_factory=list)  # character offset of each word in `text`

    def kinds(self) -> set[str]:
        return {k for _, _, k in bio_spans(self.tags)}


def words_of(text: str) -> tuple[list[str], list[int]]:
    """Words and their character offsets: runs of letters/digits, and each other non-space character alone
    (the split BERT's own pre-tokeniser makes, so no word boundary falls inside a sub-token)."""
    found = list(WORD_RE.finditer(text))
    return [m.group() for m in found], [m.start() for m in found]


def read_sentences(source: str | os.PathLike[str] | Sequence[Sentence]) -> list[Sentence]:
    """Sentences from a CoNLL or JSONL file (by suffix), or a list of sentences as given."""
    if not isinstance(source, (str, os.PathLike)):
        return list(source)
    path = Path(source)
    if not path.is_file():
        raise DataError(f"Data file {str(path)!r} does not exist: give a CoNLL (.conll) or JSONL (.jsonl) file.")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); re-save it as UTF-8.") from exc
    sentences = (parse_jsonl if path.suffix.lower() in JSONL_SUFFIXES else parse_conll)(content, str(path))
    if not sentences:
        raise DataError(f"{path} holds no labelled sentences: CoNLL needs `token ... TAG` lines, JSONL needs "
                        "`{\"text\": ..., \"spans\": [...]}` lines.")
    return sentences


def parse_conll(content: str, source: str = "<text>") -> list[Sentence]:
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    start = 0

    def flush() -> None:
        if words:
            sentences.append(Sentence(list(words), to_bio(tags), start, source))
        words.clear()
        tags.clear()

    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("-DOCSTART-"):
            flush()
            continue
        fields = line.split()
        if len(fields) < 2:
            raise DataError(f"{source} line {number}: {raw!r} is not `token TAG` (a token and its tag, separated by "
                            "whitespace; a blank line between sentences). Fix or remove that line.")
        tag = fields[-1]
        if not is_valid_tag(tag):
            raise DataError(f"{source} line {number}: tag {tag!r} is not O, B-TYPE or I-TYPE. Use IO or BIO tags.")
        if not words:
            start = number
        words.append(fields[0])
        tags.append(tag)
    flush()
    return sentences


def parse_jsonl(content: str, source: str = "<text>") -> list[Sentence]:
    sentences = []
    for number, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{source} line {number}"
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg}). Each line must be one JSON object.") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataError(f"{where}: needs a string field \"text\" (and a list \"spans\").")
        text = record["text"]
        if not text.strip():
            raise DataError(f"{where}: empty sentence (the text has no words). Remove the line or fill it in.")
        spans = record.get("spans", record.get("entities", []))
        if not isinstance(spans, list):
            raise DataError(f"{where}: \"spans\" must be a list of {{\"start\", \"end\", \"label\"}} objects.")
        sentences.append(_sentence_from_spans(text, spans, where, number, source))
    return sentences


def _sentence_from_spans(text: str, spans: list, where: str, number: int, source: str) -> Sentence:
    words, starts = words_of(text)
    ends = [s + len(w) for w, s in zip(words, starts)]
    tags = [OUTSIDE] * len(words)
    for span in spans:
        if isinstance(span, dict):
            start, end, kind = span.get("start"), span.get("end"), span.get("label", span.get("type"))
        elif isinstance(span, (list, tuple)) and len(span) == 3:
            start, end, kind = span
        else:
            raise DataError(f"{where}: span {span!r} is not {{\"start\", \"end\", \"label\"}} or [start, end, label].")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise DataError(f"{where}: span {span!r} needs integer offsets 0 <= start < end <= {len(text)}.")
        if not isinstance(kind, str) or not is_valid_tag(f"B-{kind}"):
            raise DataError(f"{where}: span label {kind!r} must be a non-empty type name without spaces or '-'"
                            " prefix, e.g. ORG.")
        if start not in starts or end not in ends:
            raise DataError(f"{where}: span {start}-{end} {text[start:end]!r} does not start and end on word "
                            f"boundaries (words: {words[:12]}). Widen it to whole words.")
        first, last = starts.index(start), ends.index(end)
        if any(t != OUTSIDE for t in tags[first:last + 1]):
            raise DataError(f"{where}: span {start}-{end} {text[start:end]!r} overlaps another span.")
        tags[first:last + 1] = [f"B-{kind}"] + [f"I-{kind}"] * (last - first)
    return Sentence(words, tags, number, source, text, starts)


def check_kinds(train: Sequence[Sentence], other: Sequence[Sentence], what: str) -> None:
    """Every entity type in `other` must be learnable from `train`."""
    known = set().union(*(s.kinds() for s in train)) if train else set()
    for sentence in other:
        for i, tag in enumerate(sentence.tags):
            kind = split_tag(tag)[1]
            if kind is not None and kind not in known:
                raise DataError(f"{sentence.source} line {sentence.line + (i if sentence.text is None else 0)}: tag "
                                f"{tag!r} appears in the {what} data but never in training (training types: "
                                f"{', '.join(sorted(known)) or 'none'}). Add training examples or drop that type.")


def split_sentences(sentences: Sequence[Sentence], fractions: Sequence[float], seed: int,
                    ) -> list[list[Sentence]]:
    """A seeded shuffle cut into len(fractions) parts (each part keeps the file order)."""
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    parts, start = [], 0
    for i, frac in enumerate(fractions):
        end = len(order) if i == len(fractions) - 1 else start + round(frac * len(order))
        parts.append([sentences[j] for j in sorted(order[start:end])])
        start = end
    return parts
