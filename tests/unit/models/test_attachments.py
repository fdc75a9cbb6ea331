"""Attachments and documents from bytes, local paths and ObjectStoragePath, with names and MIME types."""

from __future__ import annotations

import base64
from pathlib import Path

from airflow_provider_legallymail.models.attachments import to_attachments


def test_path_bytes_and_object_storage(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.4 x")
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n")
    items = to_attachments(
        [
            str(pdf),
            {"content": b"raw", "filename": "blob.bin", "mime_type": "application/x-custom"},
            ObjectStoragePath(f"file://{csv}"),
        ]
    )
    assert [(a.filename, a.mime_type) for a in items] == [
        ("contract.pdf", "application/pdf"),
        ("blob.bin", "application/x-custom"),
        ("data.csv", "text/csv"),
    ]
    assert items[2].content == b"a,b\n"
    assert items[0].to_api()["content"] == base64.b64encode(b"%PDF-1.4 x").decode()


def test_a_single_item_and_an_uri_string(tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("hi")
    assert [a.filename for a in to_attachments(doc)] == ["notes.txt"]
    assert to_attachments(f"file://{doc}")[0].content == b"hi"
    assert to_attachments(None) == []
