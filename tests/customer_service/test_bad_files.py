"""One bad file fails alone in `verticals bot ingest`: a PDF past pypdf's decompression limit included."""

from __future__ import annotations

import io
import zlib

from typer.testing import CliRunner

from customer_service.cli import app


def pdf(content: bytes) -> bytes:
    """A minimal one-page PDF whose page content is one Flate stream."""
    stream = zlib.compress(content, 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
             b"/Resources << /Font << /F1 5 0 R >> >> >>"),
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def test_a_decompression_bomb_pdf_fails_alone(encoder, monkeypatch, tmp_path):
    import customer_service.workspace as wsmod

    monkeypatch.setattr(wsmod, "load_encoder", lambda name: encoder)
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["workspaces", "create", "acme", "--db", db]).exit_code == 0
    bomb = tmp_path / "bomb.pdf"  # 80 MB of page content in a ~80 KB file: past pypdf's 75 MB limit
    bomb.write_bytes(pdf(b"BT /F1 12 Tf 72 712 Td (hello) Tj ET\n" + b" " * 80_000_000))
    good = tmp_path / "hours.pdf"
    good.write_bytes(pdf(b"BT /F1 12 Tf 72 712 Td (We open at nine and close at five) Tj ET"))
    notes = tmp_path / "notes.md"
    notes.write_text("# Parking\nVisitors park behind the building.")
    res = runner.invoke(app, ["ingest", "acme", str(bomb), str(good), str(notes), "--db", db])
    assert res.exit_code == 1
    assert "bomb.pdf: not ingested" in res.output and "decompression limit" in res.output
    assert "hours.pdf: added" in res.output and "notes.md: added" in res.output
    assert "2 of 3 files ingested, 1 failed" in res.output and "Traceback" not in res.output
    docs = runner.invoke(app, ["docs", "acme", "--db", db]).output
    assert "hours.pdf" in docs and "notes.md" in docs and "bomb.pdf" not in docs
