"""Attachments and documents: bytes, a local path or an ``ObjectStoragePath`` -> bytes, name, MIME type."""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail.validation import fail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str

    def to_api(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content": base64.b64encode(self.content).decode("ascii"),
            "mime_type": self.mime_type,
        }


def read_source(source: Any, field: str) -> tuple[bytes, str | None]:
    """Bytes of ``source`` and its file name when it has one (path or ObjectStoragePath)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), None
    if isinstance(source, str) and "://" in source:
        from airflow.sdk import ObjectStoragePath

        source = ObjectStoragePath(source)
    if hasattr(source, "read_bytes") and hasattr(source, "name"):
        try:
            return bytes(source.read_bytes()), str(source.name)
        except OSError as exc:
            raise fail(field, f"cannot read {source}: {exc.strerror or exc}") from None
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            with open(path, "rb") as handle:
                return handle.read(), os.path.basename(path)
        except OSError as exc:
            raise fail(field, f"cannot read {path!r}: {exc.strerror or exc}") from None
    raise fail(field, f"expected bytes, a path or an ObjectStoragePath, got {type(source).__name__}")


def to_attachment(item: Any, field: str) -> Attachment:
    """An attachment from a path / ObjectStoragePath / bytes, or a mapping with ``content`` and ``filename``."""
    if isinstance(item, Attachment):
        return item
    filename: str | None = None
    mime_type: str | None = None
    source = item
    if isinstance(item, Mapping):
        source = item.get("content", item.get("path"))
        filename = item.get("filename")
        mime_type = item.get("mime_type")
        if source is None:
            raise fail(field, "a mapping attachment needs 'content' (bytes) or 'path'")
    content, name = read_source(source, field)
    filename = filename or name
    if not filename:
        raise fail(f"{field}.filename", "a filename is required when the attachment is given as bytes")
    mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return Attachment(filename=filename, content=content, mime_type=mime_type)


def to_attachments(items: Any, field: str = "attachments") -> list[Attachment]:
    if items is None:
        return []
    if isinstance(items, str | bytes | os.PathLike | Mapping) or hasattr(items, "read_bytes"):
        items = [items]
    return [to_attachment(item, f"{field}[{i}]") for i, item in enumerate(items)]
