"""Turn uploaded files into chunks: FAQ tables (CSV/JSONL) and documents (Markdown, text, HTML, PDF).

Pure functions over bytes: nothing here touches the store or the index, so a file that fails to parse
leaves no trace. Each chunk keeps its source position (character offsets, or FAQ row) and a content
hash, which lets a re-ingest reuse unchanged chunks and skip an unchanged file altogether.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from customer_service.errors import EmptyDocumentError, FaqFormatError, UnsupportedFileError

DOCUMENT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
                     ".htm": "html", ".pdf": "pdf"}
FAQ_SUFFIXES = {".csv", ".jsonl", ".json"}
MAX_FILE_BYTES = 50 * 1024 * 1024
_QUESTION_COLS = ("question", "q", "questions")
_ANSWER_COLS = ("answer", "a", "answers")


@dataclass
class ChunkData:
    text: str
    position: int                 # order within the document (FAQ: row number)
    start: int = 0                # character offsets in the extracted text (FAQ: 0/len)
    end: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return sha256(self.text.encode("utf-8"))


@dataclass
class ParsedDocument:
    name: str
    kind: str                     # "faq" | "markdown" | "text" | "html" | "pdf"
    content_hash: str
    chunks: list[ChunkData]
    n_chars: int


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_file(name: str, data: bytes, *, chunk_chars: int = 700, chunk_overlap: int = 120) -> ParsedDocument:
    """Parse any supported upload. FAQ tables become one chunk per Q&A pair; documents are chunked."""
    suffix = Path(name).suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise UnsupportedFileError(f"{name!r} is {len(data) / 1e6:.0f} MB; split it into files under "
                                   f"{MAX_FILE_BYTES // 2**20} MB.")
    if suffix in FAQ_SUFFIXES:
        return faq_document(name, read_faq(name, data), content_hash=sha256(data))
    if suffix not in DOCUMENT_SUFFIXES:
        raise UnsupportedFileError(
            f"Cannot ingest {name!r}: unsupported file type {suffix or '(none)'!r}. Upload a FAQ "
            f"({', '.join(sorted(FAQ_SUFFIXES))}) or a document ({', '.join(sorted(DOCUMENT_SUFFIXES))})."
        )
    kind = DOCUMENT_SUFFIXES[suffix]
    text = extract_text(name, data, kind)
    if kind == "markdown":
        chunks = chunk_sections(text, chunk_chars, chunk_overlap)
    else:
        chunks = chunk_text(text, chunk_chars, chunk_overlap)
    return ParsedDocument(name=name, kind=kind, content_hash=sha256(data), chunks=chunks, n_chars=len(text))


# ---- FAQ tables -------------------------------------------------------------------------------------

def read_faq(name: str, data: bytes) -> pd.DataFrame:
    """A FAQ upload as a DataFrame `question, answer, category, sources` (rows without both dropped)."""
    text = decode_text(name, data)
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        elif suffix == ".jsonl":
            frame = pd.DataFrame([json.loads(line) for line in text.splitlines() if line.strip()])
        else:
            loaded = json.loads(text)
            if isinstance(loaded, dict):  # {"questions": [...]} as some FAQ exports do
                loaded = next((v for v in loaded.values() if isinstance(v, list)), [])
            frame = pd.DataFrame(loaded)
    except (ValueError, TypeError, RecursionError, pd.errors.ParserError) as exc:  # mixed/deep JSON lines too
        raise FaqFormatError(f"Cannot read {name!r} as a FAQ table: {exc}. Expected {suffix} with "
                             f"question and answer columns.") from exc
    return normalise_faq(frame, name)


def normalise_faq(frame: pd.DataFrame, name: str = "FAQ") -> pd.DataFrame:
    """Rename q/a aliases, check the required columns, drop blank rows."""
    lower = {str(c).strip().lower(): c for c in frame.columns}
    q_col = next((lower[c] for c in _QUESTION_COLS if c in lower), None)
    a_col = next((lower[c] for c in _ANSWER_COLS if c in lower), None)
    if q_col is None or a_col is None:
        missing = [n for n, c in (("question", q_col), ("answer", a_col)) if c is None]
        raise FaqFormatError(
            f"{name!r} is missing the column(s) {missing}; found {[str(c) for c in frame.columns]}. "
            "A FAQ needs 'question' and 'answer' columns (optional: 'category', 'sources')."
        )
    out = pd.DataFrame({
        "question": frame[q_col].astype(str).str.strip(),
        "answer": frame[a_col].astype(str).str.strip(),
        "category": frame[lower["category"]].astype(str) if "category" in lower else "",
        "sources": frame[lower["sources"]].map(_as_list) if "sources" in lower else [[] for _ in range(len(frame))],
    })
    out = out[(out["question"] != "") & (out["answer"] != "") & (out["question"] != "nan")].reset_index(drop=True)
    if out.empty:
        raise FaqFormatError(f"{name!r} has no row with both a question and an answer.")
    return out


def _as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return []
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [s.strip() for s in text.split(";") if s.strip()]


def faq_document(name: str, faq: pd.DataFrame, content_hash: str | None = None) -> ParsedDocument:
    faq = normalise_faq(faq, name)
    chunks = []
    for row in faq.itertuples(index=False):
        # The question is indexed with its answer: customers phrase questions like the FAQ does.
        text = f"{row.question}\n{row.answer}"
        chunks.append(ChunkData(text=text, position=len(chunks), start=0, end=len(text), meta={
            "question": row.question, "answer": row.answer, "category": row.category,
            "sources": list(row.sources)}))
    digest = content_hash or sha256(faq.to_json(orient="records").encode("utf-8"))
    return ParsedDocument(name=name, kind="faq", content_hash=digest, chunks=chunks,
                          n_chars=sum(len(c.text) for c in chunks))


# ---- documents --------------------------------------------------------------------------------------

def decode_text(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedFileError(f"{name!r} looks binary (it contains NUL bytes); upload text, "
                                   "Markdown, HTML, PDF or a FAQ table.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFileError(
            f"{name!r} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8 and upload again."
        ) from exc


def extract_text(name: str, data: bytes, kind: str) -> str:
    if kind == "pdf":
        text = _pdf_text(name, data)
    else:
        text = decode_text(name, data)
        if kind == "html":
            text = _html_text(text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    if not text:
        hint = " (a scanned PDF needs OCR first)" if kind == "pdf" else ""
        raise EmptyDocumentError(f"{name!r} contains no text{hint}; nothing was ingested.")
    return text


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    if not data.startswith(b"%PDF"):
        raise UnsupportedFileError(f"{name!r} is not a PDF (no %PDF header); check the file.")
    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except LimitReachedError as exc:  # a stream that inflates past pypdf's limit: a decompression bomb or worse
        raise UnsupportedFileError(f"{name!r} expands beyond the PDF reader's decompression limit ({exc}); it was "
                                   "not ingested. Split it, or re-export it without huge embedded streams.") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise UnsupportedFileError(f"{name!r} is a damaged PDF ({exc}); re-export it and upload again.") from None


class _TextOnly(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "noscript", "template"})
    _BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    return "".join(parser.parts)


_HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)


def chunk_sections(text: str, chunk_chars: int = 700, overlap: int = 120) -> list[ChunkData]:
    """Markdown: chunk each heading's section on its own, so a passage never mixes two topics (a
    mixed passage matches neither topic's questions well)."""
    starts = sorted({0, *(m.start() for m in _HEADING.finditer(text))})
    chunks: list[ChunkData] = []
    for a, b in zip(starts, [*starts[1:], len(text)]):
        section = text[a:b]
        if not section.strip():
            continue
        for c in chunk_text(section.rstrip(), chunk_chars, overlap):
            chunks.append(ChunkData(text=c.text, position=len(chunks), start=a + c.start, end=a + c.end))
    return chunks


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\n+")


def chunk_text(text: str, chunk_chars: int = 700, overlap: int = 120) -> list[ChunkData]:
    """Pack sentences into chunks of about `chunk_chars`; each chunk repeats ~`overlap` characters of
    the previous one so an answer split across a boundary is whole in at least one chunk."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > pos:
            spans.append((pos, match.start()))
        pos = match.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    # Over-long sentences (tables, lists without punctuation) are cut hard.
    pieces: list[tuple[int, int]] = []
    for s, e in spans:
        while e - s > chunk_chars:
            pieces.append((s, s + chunk_chars))
            s += chunk_chars - overlap
        pieces.append((s, e))
    chunks: list[ChunkData] = []
    i = 0
    while i < len(pieces):
        start, end, j = pieces[i][0], pieces[i][1], i + 1
        while j < len(pieces) and pieces[j][1] - start <= chunk_chars:
            end = pieces[j][1]
            j += 1
        chunks.append(ChunkData(text=text[start:end], position=len(chunks), start=start, end=end))
        if j >= len(pieces):
            break
        # Step back over trailing sentences worth at most `overlap` characters.
        k = j
        while k - 1 > i and end - pieces[k - 1][0] <= overlap:
            k -= 1
        i = k
    return chunks
