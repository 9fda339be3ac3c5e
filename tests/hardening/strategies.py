"""Hypothesis strategies for hostile files: arbitrary bytes, other encodings, huge fields, missing or
unexpected columns, JSON of every shape. Column names come from every loader's vocabulary so that a
share of the examples is well-formed enough to load and exercise the write path too."""

from __future__ import annotations

import csv
import io
import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# VERTICALS_FUZZ_EXAMPLES=1000 hunts harder (locally); the suite keeps ~50 per property.
FUZZ = settings(max_examples=int(os.environ.get("VERTICALS_FUZZ_EXAMPLES", "50")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])
# Properties that encode with MiniLM and write a store per example: fewer examples, same hostility.
FUZZ_STORE = settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 3))

COLUMNS = ["text", "label", "question", "answer", "category", "sources", "title", "headline", "body", "url",
           "published_at", "date", "user_id", "item_id", "timestamp", "event", "tags", "description",
           "created_at", "Question", " answer ", "", "0", "x"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "shift_jis"]
HUGE = "x" * 200_000

cells = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "nan", "NULL", "None", "2024-01-01", "2020-02-30", "1700000000", "-1", "1e400",
                     "99999999999999999999999", "[\"a\", \"b\"]", "[1, [2]]", "a|b", "😀", "\x00", "\ufeff",
                     "<b>x</b>", "view", "purchase", "positive", HUGE]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["2024-01-01T00:00:00Z", "1700000000", HUGE[:5000]]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(COLUMNS), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def csv_bytes(draw, sep: str = ",") -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=6))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 1), max_size=6))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def jsonl_bytes(draw) -> bytes:
    records = draw(st.lists(st.one_of(st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=6),
                                      json_values), max_size=6))
    lines = [json.dumps(r) for r in records]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["{", "not json", "", "[1,", "\x00"])))
    return "\n".join(lines).encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def json_bytes(draw) -> bytes:
    value = draw(st.one_of(json_values, st.lists(st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=6),
                                                 max_size=6)))
    return json.dumps(value).encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def text_bytes(draw) -> bytes:
    text = draw(st.one_of(st.text(max_size=300), st.sampled_from([HUGE, "<html><script>x</script></html>",
                                                                  "<![CDATA[", "<!x", "</", "&#xffffffff;", ""])))
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def pdf_bytes(draw) -> bytes:
    body = draw(st.binary(max_size=400))
    tail = draw(st.sampled_from([b"", b"\n%%EOF", b"\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Root 1 0 R>>\n%%EOF",
                                 b"\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n%%EOF"]))
    return b"%PDF-1.4\n" + body + tail


def file_bytes(suffix: str):
    """Bytes for a file with this suffix: mostly shaped like it, sometimes anything at all."""
    shaped = {".csv": csv_bytes(), ".tsv": csv_bytes("\t"), ".txt": text_bytes(), ".jsonl": jsonl_bytes(),
              ".ndjson": jsonl_bytes(), ".json": json_bytes(), ".md": text_bytes(), ".html": text_bytes(),
              ".pdf": pdf_bytes(), ".parquet": st.binary(max_size=200).map(lambda b: b"PAR1" + b + b"PAR1")}
    return st.one_of(shaped.get(suffix, st.binary(max_size=500)), st.binary(max_size=500))
