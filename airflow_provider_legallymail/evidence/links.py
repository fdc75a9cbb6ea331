"""Which URLs the API returns may become extra links in the Airflow UI, and what each link is called.

A link is clicked in a browser that is logged in to Airflow, so a URL from an API answer (a hostile or
broken server chooses it) becomes a link only when ``link_url`` allows it: an absolute ``http(s)`` URL,
read as the HTTP library reads it (``client.urls.checked_origin``: no user info, backslashes, control
characters; plain ``http`` only to loopback), whose origin (scheme, host, port) is the connection's own
or a documented LegallyMail host (``https://legallymail.com``, where the API docs put certificates,
originals and actas). Anything else (``javascript:``, ``data:``, ``vbscript:``, ``file:``, another host) is
dropped and logged by its scheme only: the URL itself may carry anything, the token included.

Names say what a link opens: "ana@example.com: read certificate (cm_1)", "Document sent for signature
(u1)", "Audit trail (acta) (u1)"; lists of links sort naturally (recipient2 before recipient10).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from airflow_provider_legallymail.client.urls import checked_origin
from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.redaction import scrub

log = logging.getLogger(__name__)
DOCUMENTED_ORIGINS = frozenset({"https://legallymail.com:443"})
ORIGINAL = "Document sent for signature"
ACTA = "Audit trail (acta)"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,15}")


def link_url(url: object, own_origin: str | None, what: str) -> str | None:
    """``url`` when it may be a link (see the module docstring), else None, logged as dropped."""
    if not url:
        return None
    text = str(url)
    try:
        origin: str | None = str(checked_origin(text, "url"))
    except ConfigurationError:
        origin = None
    if origin is not None and (origin == own_origin or origin in DOCUMENTED_ORIGINS):
        return text
    scheme = text.split(":", 1)[0] if ":" in text else ""
    kind = f"a {scheme.lower()}: URL" if _SCHEME.fullmatch(scheme) else "a URL that is not absolute"
    if origin is not None:
        kind = "an http(s) URL to a host that is neither the connection's nor a documented LegallyMail host"
    elif scheme.lower() in ("http", "https"):
        kind = "an http(s) URL the HTTP library would read ambiguously (or plain http to a remote host)"
    log.warning("Dropped the link %r the API gave: %s", scrub(what), kind)
    return None


def hook_origin(hook: Any) -> str | None:
    """The origin of the hook's connection, or None when it cannot be read (then only documented hosts)."""
    try:
        return str(hook.settings.origin)
    except Exception:  # links are a convenience: an unreadable connection must not fail a finished task
        log.warning("Could not read the connection's origin; only links to documented LegallyMail hosts are kept")
        return None


def evidence_label(kind: str, party: str | None = None, stage: str | None = None) -> str:
    """What a link to one piece of evidence opens: whose certificate of what, or which signature document."""
    if kind == "original":
        return ORIGINAL
    if kind == "acta":
        return ACTA
    what = "SMS certificate" if kind == "sms_certificate" else f"{stage} certificate" if stage else "certificate"
    return f"{party}: {what}" if party else what


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts "recipient2" before "recipient10": digit runs compare as numbers, the rest case-blind."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.casefold()) for part in re.split(r"(\d+)", text))


def link_entries(candidates: Iterable[tuple[str, object]], own_origin: str | None, limit: int) -> list[dict[str, str]]:
    """``[{"label", "url"}]`` of the allowed ``(label, url)``: one per URL, sorted naturally, at most ``limit``."""
    entries: dict[str, dict[str, str]] = {}
    for label, url in candidates:
        allowed = link_url(url, own_origin, label)
        if allowed is not None and allowed not in entries:
            entries[allowed] = {"label": label, "url": allowed}
    return sorted(entries.values(), key=lambda e: natural_key(e["label"]))[:limit]
