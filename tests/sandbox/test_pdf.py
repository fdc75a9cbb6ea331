"""The PDF writer produces valid, deterministic files (correct cross-reference offsets)."""

from __future__ import annotations

import re

from legallymail_sandbox.pdf import render_pdf


def test_pdf_structure_is_valid() -> None:
    data = render_pdf("Title (with parens)", ["line \\ one", "línea dos"])
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n", data).group(1))  # type: ignore[union-attr]
    assert data[startxref:].startswith(b"xref\n0 6\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", data[startxref:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(f"{number} 0 obj".encode())
    stream = re.search(rb"/Length (\d+) >>\nstream\n", data)
    assert stream is not None
    length = int(stream.group(1))
    assert data[stream.end() + length :].startswith(b"endstream")
    assert b"\\(with parens\\)" in data and b"line \\\\ one" in data


def test_pdf_is_deterministic() -> None:
    assert render_pdf("A", ["b"]) == render_pdf("A", ["b"])
    assert render_pdf("A", ["b"]) != render_pdf("A", ["c"])
