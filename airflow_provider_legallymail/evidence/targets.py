"""What to archive: ids given as a string, a list, or the return value of a sending operator, a sensor (a
``WaitResult``, a list of them) or an event (read by ``contracts.item_refs``, as the sensors read them), with
what a wait or an event observed of each id.

Every input is checked here, before any request, with an error that names the field (``evidence`` or
``kind``). A bare id says nothing about what it identifies (signature and SMS ids are both UUIDs), so a
bare id needs ``kind``; the operators' return values carry enough to tell.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_legallymail.contracts import Observed, item_refs
from airflow_provider_legallymail.kinds import KINDS
from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.validation import fail


@dataclass(frozen=True)
class Target:
    """One thing to archive: an email (by tracking id), a signature request or an SMS (by uuid), and what a
    wait or an event observed of it when the input holds that (``evidence.observed``)."""

    kind: str
    id: str
    observed: Observed | None = dataclasses.field(default=None, compare=False, repr=False)
    parties: tuple[str, ...] = dataclasses.field(default=(), compare=False, repr=False)  # an email's, when given

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


def combined(first: Observed | None, later: Observed | None) -> Observed | None:
    """Two observations of one item (two waits' results): each party as last seen, the later documents."""
    if first is None or later is None:
        return later or first
    parties = {str(p.get("who")): p for p in first.parties} | {str(p.get("who")): p for p in later.parties}
    return replace(
        later,
        at=max((a for a in (first.at, later.at) if a), default=None),
        parties=tuple(parties.values()),
        documents=later.documents or first.documents,
        item=later.item or first.item,
    )


def check_kind(kind: Any) -> str | None:
    if kind is None or kind == "":
        return None
    if kind not in KINDS:
        raise fail("kind", f"{kind!r}: expected one of {', '.join(KINDS)} (or None to tell from the input)")
    return str(kind)


def _bare(text: str, kind: str | None, observed: Observed | None = None, parties: tuple[str, ...] = ()) -> Target:
    if kind is None:
        raise fail(
            "evidence",
            f"{text!r} is a bare id: set kind='email' (tracking id), 'signature' or 'sms' (uuid), "
            "or pass the return value of the sending operator",
        )
    return Target(kind, text, observed, parties)


def parse_targets(value: Any, kind: Any = None) -> list[Target]:
    """The distinct targets in ``value``, in order, each with all that was observed of it; raises
    ``ValidationError`` naming the field."""
    refs = item_refs(value, check_kind(kind), "evidence")
    found: dict[Target, Target] = {}
    for ref in refs:
        if ref.id:
            target = _bare(ref.id, check_kind(ref.kind), ref.observed, ref.parties)
            seen = found.get(target)
            if seen is not None:
                parties = tuple(dict.fromkeys(seen.parties + ref.parties))
                target = replace(seen, observed=combined(seen.observed, ref.observed), parties=parties)
            found[target] = target
    if not found:
        raise fail("evidence", "nothing to archive: no tracking id or uuid was given")
    return list(found.values())
