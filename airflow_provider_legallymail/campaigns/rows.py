"""Pass 1 of a campaign: each input row becomes one planned send, checked before anything is sent.

``EmailRows`` plans a certified email per row (its address, subject, HTML body and attachments), ``SignatureRows``
a signature request per row (its PDF and signers). A problem raises ``RowError`` naming the column, never the
row's content. A plan's ``key`` is its ledger unit: a digest of the recipient(s) and the content, so that a
retry recognises a row by what it sends, wherever it sits in the source.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail import limits, validation
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.legitmailer.problems import RowError
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, Row
from airflow_provider_legallymail.storage import digest

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # per email, all attachments together (the API documents no limit)
SHARDS = 512  # ~20 rows a shard at 10,000 rows: the few shards held in memory stay small
_UNDEFINED = re.compile(r"'([^']+)' is undefined")


@dataclass(frozen=True)
class Planned:
    """One row's send: ``key`` (ledger unit), ``who`` (its recipient, for duplicates), ``data`` (pass 2's input)."""

    key: str
    who: str
    data: dict[str, Any]
    row_key: str | None = None


def shard_of(unit_key: str) -> int | None:
    """Ledger shard of a row unit (``<kind>:<hex digest>``), from its content digest."""
    kind, _, hexdigest = unit_key.partition(":")
    return int(hexdigest[:6], 16) % SHARDS if kind in ("email", "signature") and hexdigest else None


def _cell(row: Row, column: str, *, required: bool = True) -> str | None:
    value = row.get(column) if column in row else None
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise RowError(f"{column}: missing")
        return None
    return text


def _row_key(row: Row, column: str | None) -> str | None:
    return None if column is None else _cell(row, column)


def _list_cell(text: str | None, column: str) -> list[str]:
    """Several values in one cell: a JSON list, or separated by ``;``."""
    if text is None:
        return []
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise RowError(f"{column}: not a JSON list") from None
        if not isinstance(items, list):
            raise RowError(f"{column}: not a JSON list")
        return [str(item).strip() for item in items if str(item).strip()]
    return [part.strip() for part in text.split(";") if part.strip()]


def file_size(ref: str) -> int:
    """The size of a local path, ``file://`` or object storage URL, without reading it; OSError when absent."""
    if "://" in ref:
        from airflow.sdk import ObjectStoragePath

        stat = ObjectStoragePath(ref).stat()
        size = getattr(stat, "st_size", None)
        return int(size if size is not None else stat["size"])
    return os.path.getsize(ref)


def read_head(ref: str, count: int = 1024) -> bytes:
    if "://" in ref:
        from airflow.sdk import ObjectStoragePath

        path: Any = ObjectStoragePath(ref)
        with path.open("rb") as handle:
            return bytes(handle.read(count))
    with open(ref, "rb") as handle:
        return handle.read(count)


def _sizes(refs: list[str], column: str) -> list[int]:
    sizes = []
    for i, ref in enumerate(refs):
        try:
            sizes.append(file_size(ref))
        except (OSError, KeyError, TypeError, ValueError):
            raise RowError(f"{column}[{i}]: cannot be read") from None
    return sizes


class _Template:
    """A Jinja template rendered once per row, with the row's columns as variables."""

    def __init__(self, text: str, field: str, *, html: bool) -> None:
        from jinja2 import StrictUndefined, TemplateError
        from jinja2.sandbox import SandboxedEnvironment

        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=html, keep_trailing_newline=True)
        self.field = field
        try:
            self._template = env.from_string(text)
        except TemplateError as exc:
            raise validation.fail(field, f"not a valid Jinja template: {exc}") from None

    def render(self, row: Row) -> str:
        from jinja2 import TemplateError

        names = {name.casefold(): row[name] for name in row}
        try:
            return self._template.render({**names, **{name: row[name] for name in row}})
        except TemplateError as exc:
            missing = _UNDEFINED.search(str(exc))
            if missing:
                raise RowError(f"{self.field}: needs column {missing.group(1)!r}, which the row lacks") from None
            raise RowError(f"{self.field}: the template failed ({type(exc).__name__})") from None


def _template_text(value: str) -> str:
    """A template given inline, or a path to a ``.html`` / ``.j2`` file holding it."""
    if value.endswith((".html", ".j2")) and "\n" not in value and os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    return value


@dataclass
class EmailRows:
    """A certified email per row: ``email_column``; the subject and body from a per-row Jinja template
    (``subject`` / ``html``) or, when not given, from the ``subject`` / ``html`` columns; attachments from
    ``attachments_column`` (paths or URLs: a JSON list, or separated by ``;``)."""

    subject: str | None = None
    html: str | None = None
    email_column: str = "email"
    subject_column: str = "subject"
    html_column: str = "html"
    attachments_column: str = "attachments"
    key_column: str | None = None
    max_attachment_bytes: int = ATTACHMENT_MAX_BYTES

    def __post_init__(self) -> None:
        self._subject = _Template(self.subject, "subject", html=False) if self.subject is not None else None
        self._html = _Template(_template_text(self.html), "html", html=True) if self.html is not None else None

    def plan(self, row: Row | BadRow) -> Planned:
        if isinstance(row, BadRow):
            raise RowError(row.reason)
        raw = _cell(row, self.email_column)
        try:
            email = validation.email_address(raw, self.email_column)
        except ValidationError:
            raise RowError(f"{self.email_column}: not a valid address") from None
        subject = self._subject.render(row) if self._subject else _cell(row, self.subject_column)
        html = self._html.render(row) if self._html else _cell(row, self.html_column)
        if not (subject or "").strip():
            raise RowError(f"{self.subject_column if self._subject is None else 'subject'}: empty")
        if not (html or "").strip():
            raise RowError(f"{self.html_column if self._html is None else 'html'}: empty")
        files = _list_cell(_cell(row, self.attachments_column, required=False), self.attachments_column)
        sizes = _sizes(files, self.attachments_column)
        if sum(sizes) > self.max_attachment_bytes:
            raise RowError(
                f"{self.attachments_column}: {sum(sizes)} bytes in all; at most {self.max_attachment_bytes} per email"
            )
        content = digest(email.lower(), subject, html, *files, *sizes, length=24)
        return Planned(
            key=f"email:{content}",
            who=email.lower(),
            data={"email": email, "subject": subject, "html": html, "attachments": files},
            row_key=_row_key(row, self.key_column),
        )


@dataclass
class SignatureRows:
    """A signature request per row: the PDF from ``document_column`` (a path or URL), the name signers see from
    ``document_name_column`` (default: the file's name), the signers from ``signers_column`` (a JSON list of
    ``{"name", "email", "phone"?}``) or, when the row has none, one signer from ``signer_name`` /
    ``signer_email`` / ``signer_phone``."""

    document_column: str = "document"
    document_name_column: str = "document_name"
    signers_column: str = "signers"
    key_column: str | None = None

    def plan(self, row: Row | BadRow) -> Planned:
        if isinstance(row, BadRow):
            raise RowError(row.reason)
        document = str(_cell(row, self.document_column))
        (size,) = _sizes([document], self.document_column)
        if size > limits.PDF_MAX_BYTES:
            raise RowError(f"{self.document_column}: {size} bytes; a PDF of at most {limits.PDF_MAX_BYTES} bytes")
        try:
            head = read_head(document)
        except OSError:
            raise RowError(f"{self.document_column}: cannot be read") from None
        if b"%PDF-" not in head:
            raise RowError(f"{self.document_column}: not a PDF")
        name = _cell(row, self.document_name_column, required=False) or os.path.basename(document.split("://")[-1])
        signers = self._signers(row)
        emails = sorted(s["email"].lower() for s in signers)
        content = digest(name, *emails, document, size, length=24)
        return Planned(
            key=f"signature:{content}",
            who=f"signature:{content}",
            data={"document": document, "document_name": name, "signers": signers},
            row_key=_row_key(row, self.key_column),
        )

    def _signers(self, row: Row) -> list[dict[str, str]]:
        given = _cell(row, self.signers_column, required=False)
        if given is not None:
            try:
                raw: Any = json.loads(given)
            except ValueError:
                raise RowError(f"{self.signers_column}: not a JSON list of signers") from None
            field = self.signers_column
        else:
            raw = {
                "name": _cell(row, "signer_name"),
                "email": _cell(row, "signer_email"),
                "phone": _cell(row, "signer_phone", required=False),
            }
            field = "signer"
        try:
            return validation.signer_list(raw if isinstance(raw, list | Mapping) else [raw], field)
        except ValidationError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise RowError(f"{where}not valid") from None
