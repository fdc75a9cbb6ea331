"""The wait spec: what to wait for (kind, ids, target, selection) and until when (an absolute deadline).

A spec is plain JSON (``to_json`` / ``from_json``) so that it travels in a trigger's kwargs and survives a
triggerer restart unchanged. ``wait_spec`` builds one from what a user passes, which is usually the whole
return value of a sending operator; every check runs here, before any request, and names the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.contracts import item_refs
from airflow_provider_legallymail.exceptions import ValidationError

TARGETS: dict[str, tuple[str, ...]] = {"email": ("delivered", "read"), "signature": ("signed",), "sms": ("delivered",)}
ID_FIELDS = {"email": "tracking_id", "signature": "uuid", "sms": "uuid"}
SELECTION_FIELDS = {"email": "recipients", "signature": "signers", "sms": "recipients"}
QUANTIFIERS = ("all", "any")


@dataclass(frozen=True)
class WaitSpec:
    """One wait. ``selection`` is ``"all"``, ``"any"`` or a tuple of lower-cased addresses."""

    kind: str
    ids: tuple[str, ...]
    target: str
    selection: str | tuple[str, ...]
    deadline: float
    known_parties: tuple[str, ...] = ()  # recipients named by the sending operator, when known

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "target": self.target,
            "selection": self.selection if isinstance(self.selection, str) else list(self.selection),
            "deadline": self.deadline,
            "known_parties": list(self.known_parties),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WaitSpec:
        selection = data["selection"]
        return cls(
            kind=str(data["kind"]),
            ids=tuple(str(i) for i in data["ids"]),
            target=str(data["target"]),
            selection=selection if isinstance(selection, str) else tuple(str(s) for s in selection),
            deadline=float(data["deadline"]),
            known_parties=tuple(str(p) for p in data.get("known_parties") or ()),
        )

    def describe(self) -> str:
        who = self.selection if isinstance(self.selection, str) else ", ".join(self.selection)
        return f"{self.kind} {', '.join(self.ids)}: {self.target} ({SELECTION_FIELDS[self.kind]}: {who})"


def parse_ids(kind: str, value: Any, field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids (and recipients, when known) from an id, a list of ids, or a sending operator's return value."""
    ids: list[str] = []
    known: list[str] = []
    for ref in item_refs(value, kind, field, only=kind):
        ids.append(validation.identifier(ref.id, field))
        known += ref.parties
    if not ids:
        raise validation.fail(field, f"at least one {ID_FIELDS[kind]} is required")
    return tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(p.lower() for p in known if p))


def parse_selection(kind: str, value: Any, field: str) -> str | tuple[str, ...]:
    if isinstance(value, str):
        parsed = validation.parse_rendered(value)
        if parsed is None and value.strip().lower() in QUANTIFIERS:
            return value.strip().lower()
        value = parsed if parsed is not None else validation.address_list(value)
    if not isinstance(value, list | tuple) or not value:
        raise validation.fail(field, f'expected "all", "any" or a non-empty list of addresses, got {value!r}')
    return tuple(dict.fromkeys(validation.email_address(v, field).lower() for v in value))


def wait_spec(
    kind: str,
    ids: Any,
    target: Any,
    selection: Any = "all",
    *,
    deadline: float,
    id_field: str | None = None,
) -> WaitSpec:
    """A checked ``WaitSpec``; raises ``ValidationError`` naming the field before any request is sent."""
    if kind not in TARGETS:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(TARGETS)}", field="kind")
    target_text = validation.one_of(str(target).strip().lower(), TARGETS[kind], "target")
    found, known = parse_ids(kind, ids, id_field or ID_FIELDS[kind])
    chosen = "all" if kind == "sms" else parse_selection(kind, selection, SELECTION_FIELDS[kind])
    if isinstance(chosen, tuple) and known:
        strangers = [a for a in chosen if a not in known]
        if strangers:
            field = SELECTION_FIELDS[kind]
            raise validation.fail(field, f"{', '.join(strangers)} is not a recipient of this send")
    return WaitSpec(kind, found, target_text, chosen, float(deadline), known)


DEFAULT_WAIT_TIMEOUT = {"email": 7 * 86400.0, "signature": 8 * 86400.0, "sms": 86400.0}
"""``wait_for=`` without ``wait_timeout``: a week (a signature request expires after one, which fails it)."""


def check_wait_arguments(kind: str, target: Any, selection: Any, timeout: float | None) -> None:
    """``wait_for`` / ``wait_recipients`` / ``wait_timeout`` of a sending operator, checked at parse time."""
    if target not in TARGETS[kind]:
        raise validation.fail("wait_for", f"{target!r} is not one of {', '.join(TARGETS[kind])} for a {kind}")
    if kind != "sms":
        parse_selection(kind, selection, "wait_recipients")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0):
        raise validation.fail("wait_timeout", f"{timeout!r} is not a positive number of seconds")


def wait_spec_after_send(
    kind: str,
    summary: dict[str, Any],
    target: str,
    selection: Any,
    context: Mapping[str, Any],
    timeout: float | None,
    ledger_path: str | None,
) -> WaitSpec:
    """The wait of a sending operator's ``wait_for=``, on its whole summary; deadline fixed by the first try."""
    from airflow_provider_legallymail.waiting.deadlines import task_deadline

    seconds = timeout if timeout is not None else DEFAULT_WAIT_TIMEOUT[kind]
    deadline = task_deadline(context, seconds, ledger_path)
    return wait_spec(kind, summary, target, selection, deadline=deadline, id_field="wait_for")
