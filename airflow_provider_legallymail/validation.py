"""Client-side checks run before any request: each failure names the field and the limit.

Nothing here does I/O, so a rejected call spends no credit and sends nothing.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from airflow_provider_legallymail import limits
from airflow_provider_legallymail.exceptions import ValidationError

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def parse_rendered(text: str) -> Any | None:
    """The list or dict in a string that Jinja rendered from one (JSON, or Python's repr); else None."""
    stripped = text.strip()
    if not stripped.startswith(("[", "{")):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(stripped)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, list | dict):
            return value
    return None


def fail(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field)


def email_address(value: Any, field: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise fail(field, "an email address is required")
    if len(text) > 254 or not _EMAIL.match(text):
        raise fail(field, f"{text!r} is not a valid email address")
    return text


def address_list(value: Any) -> list[str]:
    """Addresses from a list (nested lists flattened), a comma-separated string, or the string of a
    rendered list (``"['a@x', 'b@x']"``); blanks dropped, nothing checked yet."""
    if isinstance(value, str):
        parsed = parse_rendered(value)
        if isinstance(parsed, list):
            return address_list(parsed)
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple | set):
        out: list[str] = []
        for item in value:
            out.extend(address_list(item) if isinstance(item, list | tuple | str) else [str(item).strip()])
        return [a for a in out if a]
    return [str(value).strip()] if value is not None and str(value).strip() else []


def recipient_list(value: Any, field: str, max_count: int) -> list[str]:
    """A list or a comma-separated string of addresses -> a checked list of 1..max_count addresses."""
    if not isinstance(value, str | Iterable):
        raise fail(field, f"expected a list or a comma-separated string, got {type(value).__name__}")
    addresses = address_list(value if isinstance(value, str) else list(value))
    if not addresses:
        raise fail(field, "at least one recipient is required")
    if len(addresses) > max_count:
        raise fail(field, f"{len(addresses)} recipients given; at most {max_count} per request (max_recipients)")
    return [email_address(a, f"{field}[{i}]") for i, a in enumerate(addresses)]


def required_text(value: Any, field: str, *, max_chars: int | None = None) -> str:
    text = "" if value is None else str(value)
    if not text.strip():
        raise fail(field, "must not be empty")
    if max_chars is not None and len(text) > max_chars:
        raise fail(field, f"{len(text)} characters; at most {max_chars} allowed")
    return text


def phone_number(value: Any, field: str = "phone") -> str:
    """International form: ``+`` country code and number, 8..16 characters; spaces and dashes removed."""
    text = re.sub(r"[\s\-().]", "", str(value or ""))
    if not _PHONE.match(text):
        raise fail(field, f"{value!r} is not a phone number in international form (e.g. +34600000000)")
    return text


def pdf_document(data: bytes, field: str = "document") -> bytes:
    if not data:
        raise fail(field, "the document is empty")
    if len(data) > limits.PDF_MAX_BYTES:
        raise fail(field, f"{len(data)} bytes; a PDF of at most {limits.PDF_MAX_BYTES} bytes (10 MB) is accepted")
    if b"%PDF-" not in data[:1024]:
        raise fail(field, "not a PDF (no %PDF- header in the first 1024 bytes)")
    return data


def signer_list(signers: Any, field: str = "signers") -> list[dict[str, str]]:
    if isinstance(signers, Mapping):
        signers = [signers]
    if not isinstance(signers, list | tuple):
        raise fail(field, f"expected a list of {{'name', 'email', 'phone'?}}, got {type(signers).__name__}")
    if not 1 <= len(signers) <= limits.MAX_SIGNERS:
        raise fail(field, f"{len(signers)} signers given; between 1 and {limits.MAX_SIGNERS} allowed")
    checked = []
    for i, signer in enumerate(signers):
        where = f"{field}[{i}]"
        if not isinstance(signer, Mapping):
            raise fail(where, "each signer is a mapping with 'name' and 'email'")
        entry = {
            "name": required_text(signer.get("name"), f"{where}.name"),
            "email": email_address(signer.get("email"), f"{where}.email"),
        }
        if signer.get("phone"):
            entry["phone"] = phone_number(signer["phone"], f"{where}.phone")
        checked.append(entry)
    return checked


def one_of(value: Any, allowed: Iterable[str], field: str) -> str:
    options = tuple(allowed)
    if value not in options:
        raise fail(field, f"{value!r} is not one of {', '.join(options)}")
    return str(value)


def list_limit(limit: Any, field: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise fail(field, f"{limit!r} is not an integer")
    if not limits.LIST_LIMIT_MIN <= limit <= limits.LIST_LIMIT_MAX:
        raise fail(field, f"{limit} is out of range {limits.LIST_LIMIT_MIN}..{limits.LIST_LIMIT_MAX}")
    return limit


def identifier(value: Any, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise fail(field, "must not be empty")
    return text


def token_map(value: Any, field: str = "token_map") -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise fail(field, f"expected a mapping of placeholder -> value, got {type(value).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def delay_seconds(value: Any, field: str = "delay") -> int:
    """A ``timedelta`` or a number of seconds -> whole seconds >= 1 (Legitmailer's unit: seconds)."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise fail(field, f"expected a timedelta or a number of seconds, got {type(value).__name__}")
    if seconds < 1:
        raise fail(field, f"{seconds} seconds; the delay must be at least 1 second")
    return round(seconds)


def contact_data(value: Any, field: str = "data") -> list[dict[str, Any]]:
    """Contact columns: a list of ``{column: value}`` objects, or one mapping (split into such objects)."""
    if isinstance(value, Mapping):
        return [{str(k): v} for k, v in value.items()]
    if isinstance(value, list | tuple) and all(isinstance(item, Mapping) for item in value):
        return [dict(item) for item in value]
    raise fail(field, "expected a list of {column: value} objects or a mapping of column -> value")
