"""What to archive: ids given as a string, a list, or the return value of a sending operator or a sensor.

Every input is checked here, before any request, with an error that names the field (``evidence`` or
``kind``). A bare id says nothing about what it identifies (signature and SMS ids are both UUIDs), so a
bare id needs ``kind``; the operators' return values carry enough to tell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.validation import fail, parse_rendered

KINDS = ("email", "signature", "sms")
SIGNATURE_KEYS = frozenset({"document_name", "signer_email", "signers", "document_hash"})
SMS_KEYS = frozenset({"phone", "credits_deducted", "credits", "ts_confirmed_at"})


@dataclass(frozen=True)
class Target:
    """One thing to archive: an email (by tracking id), a signature request or an SMS (by uuid)."""

    kind: str
    id: str

    @property
    def folder_name(self) -> str:
        """The id as one folder name, distinct for distinct ids (``folder_name``)."""
        return folder_name(self.id)


PLAIN_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
SLUG_LENGTH = 60


def folder_name(ident: str) -> str:
    """``ident`` itself when it is plain (lowercase letters, digits, ``_``, ``-``, ``.``; how the API's
    tracking ids and uuids look), else a slug of it, ``~`` and 16 hex digits of its SHA-256.

    Injective: a plain name never contains ``~``, and two other ids differ in their hash. So ``grp/one``
    and ``grp//one``, or ``ABC`` and ``abc`` on a case-insensitive disk, never share a folder, and archives
    of plain ids written by earlier releases (folder = id) are still found.
    """
    if PLAIN_ID.fullmatch(ident) and not ident.endswith("."):
        return ident
    slug = re.sub(r"[^a-z0-9_.-]+", "-", ident.lower()).strip("-.")[:SLUG_LENGTH].strip("-.")
    return f"{slug or 'id'}~{digest(ident)}"


def check_kind(kind: Any) -> str | None:
    if kind is None or kind == "":
        return None
    if kind not in KINDS:
        raise fail("kind", f"{kind!r}: expected one of {', '.join(KINDS)} (or None to tell from the input)")
    return str(kind)


def _bare(value: Any, kind: str | None) -> Target:
    text = str(value).strip()
    if not text:
        raise fail("evidence", "an empty id was given")
    if kind is None:
        raise fail(
            "evidence",
            f"{text!r} is a bare id: set kind='email' (tracking id), 'signature' or 'sms' (uuid), "
            "or pass the return value of the sending operator",
        )
    return Target(kind, text)


def _from_mapping(value: Mapping[str, Any], kind: str | None) -> list[Target]:
    if value.get("from_trigger") and isinstance(value.get("payload"), Mapping):  # an event trigger's asset event
        return _from_mapping(value["payload"], kind)
    if "parent_tracking_ids" in value or "sends" in value:  # SendCertifiedEmailOperator
        ids = value.get("parent_tracking_ids") or [s.get("tracking_id") for s in value.get("sends") or []]
        return [_bare(i, "email") for i in ids]
    declared = check_kind(value.get("kind")) or kind
    if "id" in value and declared is not None:
        return [_bare(value["id"], declared)]
    if "tracking_id" in value:
        return [_bare(value["tracking_id"], "email")]
    if "uuid" in value:
        keys = set(value)
        guessed = "signature" if keys & SIGNATURE_KEYS else "sms" if keys & SMS_KEYS else None
        return [_bare(value["uuid"], declared or guessed)]
    raise fail(
        "evidence",
        f"a mapping with keys {sorted(map(str, value))} names nothing to archive: expected a sending operator's "
        "return value, or tracking_id / uuid / {kind, id}",
    )


def _targets(value: Any, kind: str | None) -> list[Target]:
    if isinstance(value, str):
        parsed = parse_rendered(value)  # a list or dict rendered by Jinja from XCom
        if parsed is not None:
            return _targets(parsed, kind)
        return [_bare(part, kind) for part in value.split(",") if part.strip()]
    if isinstance(value, Mapping):
        return _from_mapping(value, kind)
    if isinstance(getattr(value, "extra", None), Mapping):  # an AssetEvent from triggering_asset_events
        return _from_mapping(value.extra, kind)
    if isinstance(value, list | tuple):
        return [t for element in value for t in _targets(element, kind)]
    if value is None:
        return []
    raise fail("evidence", f"expected an id, a list of ids or an operator's return value, got {type(value).__name__}")


def parse_targets(value: Any, kind: Any = None) -> list[Target]:
    """The distinct targets in ``value``, in order; raises ``ValidationError`` naming the field."""
    found = _targets(value, check_kind(kind))
    if not found:
        raise fail("evidence", "nothing to archive: no tracking id or uuid was given")
    return list(dict.fromkeys(found))
