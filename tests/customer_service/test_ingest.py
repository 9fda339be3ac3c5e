"""Parsing and chunking: pure functions over bytes, checked on hand-built inputs."""

from __future__ import annotations

import io
import itertools

import pytest

from customer_service.errors import EmptyDocumentError, FaqFormatError, UnsupportedFileError
from customer_service.ingest import chunk_text, parse_file, read_faq


def _pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF with a text-drawing content stream (what a word processor would export)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_chunks_cover_the_text_with_overlap():
    text = " ".join(f"Sentence number {i} says something about permits." for i in range(60))
    chunks = chunk_text(text, chunk_chars=200, overlap=60)
    assert len(chunks) > 5
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end, "consecutive chunks must overlap"
        assert b.start > a.start, "chunking must advance"
        assert text[b.start:b.end] == b.text
    assert all(len(c.text) <= 200 for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_over_long_sentence_is_cut():
    text = "x" * 1000
    chunks = chunk_text(text, chunk_chars=300, overlap=50)
    assert all(len(c.text) <= 300 for c in chunks)
    assert chunks[-1].end == 1000


def test_faq_csv_with_aliases_and_sources():
    data = b"Q,A,Category,Sources\nHow long?,Ten weeks.,permits,PBL 9;Boverket\n,,x,\nCost?,Depends.,permits,\n"
    faq = read_faq("faq.csv", data)
    assert faq["question"].tolist() == ["How long?", "Cost?"]
    assert faq["sources"].tolist() == [["PBL 9", "Boverket"], []]


def test_faq_missing_column_is_one_clear_error():
    with pytest.raises(FaqFormatError, match=r"missing the column\(s\) \['answer'\].*found \['question', 'text'\]"):
        read_faq("faq.csv", b"question,text\nHow long?,Ten weeks\n")


def test_faq_jsonl_becomes_one_chunk_per_pair():
    doc = parse_file("faq.jsonl", b'{"q": "How long?", "a": "Ten weeks.", "sources": ["PBL"]}\n'
                                  b'{"q": "Cost?", "a": "It depends."}\n')
    assert doc.kind == "faq" and len(doc.chunks) == 2
    assert doc.chunks[0].meta == {"question": "How long?", "answer": "Ten weeks.", "category": "",
                                  "sources": ["PBL"]}


@pytest.mark.parametrize("name, data, error, match", [
    ("notes.txt", b"\x00\x01\x02binary", UnsupportedFileError, "binary"),
    ("notes.txt", "Caf\xe9 au lait".encode("latin-1"), UnsupportedFileError, "not valid UTF-8"),
    ("image.png", b"\x89PNG", UnsupportedFileError, "unsupported file type '.png'"),
    ("scan.pdf", None, EmptyDocumentError, "no text"),
    ("fake.pdf", b"hello, not a pdf", UnsupportedFileError, "not a PDF"),
    ("empty.md", b"   \n\n  ", EmptyDocumentError, "no text"),
])
def test_bad_uploads(name, data, error, match):
    with pytest.raises(error, match=match):
        parse_file(name, _blank_pdf() if data is None else data)


def test_pdf_text_is_extracted():
    doc = parse_file("guide.pdf", _pdf_with_text("A building permit takes ten weeks."))
    assert doc.kind == "pdf"
    assert "building permit takes ten weeks" in doc.chunks[0].text


def test_html_drops_scripts_and_keeps_blocks():
    html = b"<html><head><title>t</title><script>var x=1;</script></head><body><h1>Fees</h1><p>Free ATM.</p></body></html>"
    doc = parse_file("fees.html", html)
    assert doc.chunks[0].text == "Fees\n\nFree ATM."


def test_unchanged_bytes_give_the_same_hash():
    a = parse_file("a.md", b"# Title\n\nSome text.")
    b = parse_file("a.md", b"# Title\n\nSome text.")
    c = parse_file("a.md", b"# Title\n\nOther text.")
    assert a.content_hash == b.content_hash != c.content_hash


def test_markdown_sections_are_chunked_apart():
    text = b"# Help\n\n## Fees\nThe Plus plan costs 3 GBP.\n\n## Hours\nWe answer from 7 to 23.\n"
    doc = parse_file("help.md", text)
    assert [c.text for c in doc.chunks] == ["# Help", "## Fees\nThe Plus plan costs 3 GBP.",
                                            "## Hours\nWe answer from 7 to 23."]
    raw = text.decode().strip()  # offsets refer to the extracted (whitespace-normalised) text
    assert all(raw[c.start:c.end] == c.text for c in doc.chunks)
