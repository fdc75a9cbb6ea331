"""What a task log says about a recipient: the one rule of the LegallyMail and Legitmailer operators.

By default a task log lists no recipient's address or phone number: a campaign's logs would otherwise hold
every customer's address, kept, shipped and shown to anyone who may read the DAG's logs. A log line gives
counts and ids instead, and names a recipient it must name (one refused, a single recipient) in a masked
form: the first character of the address's local part and its domain, ``a***@example.com``; a phone number
keeps its first three and last two characters, ``+34*******00``. The task's return value and the ids in the
log say which recipient it is. ``log_addresses=True`` on an operator shows them in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
_ADDRESS_OR_PHONE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+|\+\d{7,15}\b")


def masked(value: str) -> str:
    """``a***@example.com`` for an address, ``+34*******00`` for a phone number."""
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}{MASK}@{domain}"
    if len(value) <= 5:
        return MASK
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def for_log(value: str | None, show: bool) -> str:
    """How a log line names one recipient: in full with ``show`` (``log_addresses=True``), else masked."""
    if not value:
        return ""
    return value if show else masked(value)


def listed(values: Iterable[str | None], show: bool) -> str:
    """Several recipients for a log line, comma-separated, each as ``for_log`` names it."""
    return ", ".join(for_log(v, show) for v in values)


def in_text(text: str, show: bool) -> str:
    """``text`` (a wait's description, a failure's message) with every address and international phone number in
    it as ``for_log`` names it: the waiting side's messages follow the same rule as the operators' lines."""
    return text if show else _ADDRESS_OR_PHONE.sub(lambda m: masked(m.group(0)), text)


def request_for_log(request: Mapping[str, Any]) -> str:
    """A send's recorded request (``SendUnit.request``) for an error message, its recipients masked: errors
    follow the default rule whatever the operator says, as they also reach callbacks and notifications."""
    parts = []
    for key, value in request.items():
        if isinstance(value, list | tuple):
            shown = f"[{listed(map(str, value), False)}]" if any("@" in str(v) for v in value) else repr(value)
        elif isinstance(value, str) and ("@" in value or key == "phone"):
            shown = masked(value)
        else:
            shown = repr(value)
        parts.append(f"{key}={shown}")
    return "{" + ", ".join(parts) + "}"
