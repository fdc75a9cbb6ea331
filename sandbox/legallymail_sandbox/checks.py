"""Server-side input checks shared by both emulated APIs (independent of the hooks' client-side checks)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
_PHONE = re.compile(r"^\+[0-9]{7,15}$")


def is_email(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 254 and bool(_EMAIL.match(value))


def is_phone(value: Any) -> bool:
    return isinstance(value, str) and bool(_PHONE.match(value))


def has_tag(address: str, tag: str) -> bool:
    """True when the local part of ``address`` contains ``+tag`` (``ana+bounce@x.com`` has ``bounce``)."""
    local = address.rsplit("@", 1)[0].lower()
    return f"+{tag}" in local


def decode_base64(value: Any) -> bytes | None:
    """Strict base64 (standard alphabet, padding optional); None when it does not decode."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = "".join(value.split())
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def truthy(value: Any) -> bool:
    """JSON booleans, and the strings ``"true"``/``"1"``/``"yes"`` the vendor examples send."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def name_id(name: str) -> str:
    """A stable id from a name: URL-safe base64 without padding (``registration`` -> ``cmVnaXN0cmF0aW9u``)."""
    return base64.urlsafe_b64encode(name.encode()).decode("ascii").rstrip("=")
