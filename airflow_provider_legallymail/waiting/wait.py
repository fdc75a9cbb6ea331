"""The wait: what to wait for (``WaitSpec``: kind, ids, target, selection) and until when (its deadline).

The wait spec: what to wait for (kind, ids, target, selection) and until when (an absolute deadline).

A spec is plain JSON (``to_json`` / ``from_json``) so that it travels in a trigger's kwargs and survives a
triggerer restart unchanged. ``wait_spec`` builds one from what a user passes, which is usually the whole
return value of a sending operator; every check runs here, before any request, and names the field.

The absolute deadline of a wait, fixed at the first try and read back by every later try.

Airflow restarts a sensor's ``timeout`` (and ``defer(timeout=)``) at every try and every deferral, so a
wait that is retried or re-deferred would wait longer than asked. The first try writes its deadline to the
task instance's documents (``task_documents``: Airflow's task state store on 3.3+, key
``legallymail/deadline``, so a retry on any host reads it; else ``<ledger_path>/<dag_id>/<run_id>/<task_id>
[.<map_index>].deadline.json``); later tries, reschedules and re-deferrals use that one. Clearing a task keeps
the deadline, like it keeps the ledger: give the task a new ``timeout`` to wait afresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.contracts import item_refs
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.kinds import KINDS
from airflow_provider_legallymail.task_documents import DocumentStore, task_documents
from airflow_provider_legallymail.waiting.tolerance import Tolerance, tolerance

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
    tolerance: Tolerance | None = None  # with target "settled": what settles a party, the failures tolerated

    @property
    def success(self) -> str:
        """The status a party reaches: the target, or what a ``settled`` wait settles on."""
        return self.tolerance.settle_on if self.tolerance is not None else self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "target": self.target,
            "selection": self.selection if isinstance(self.selection, str) else list(self.selection),
            "deadline": self.deadline,
            "known_parties": list(self.known_parties),
            "tolerance": None if self.tolerance is None else self.tolerance.to_json(),
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
            tolerance=Tolerance.from_json(data["tolerance"]) if data.get("tolerance") else None,
        )

    def describe(self) -> str:
        who = self.selection if isinstance(self.selection, str) else ", ".join(self.selection)
        target = self.target if self.tolerance is None else f"{self.target} ({self.tolerance.describe()})"
        return f"{self.kind} {', '.join(self.ids)}: {target} ({KINDS[self.kind].parties}: {who})"


def parse_ids(kind: str, value: Any, field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids (and recipients, when known) from an id, a list of ids, or a sending operator's return value."""
    ids: list[str] = []
    known: list[str] = []
    for ref in item_refs(value, kind, field, only=kind):
        ids.append(validation.identifier(ref.id, field))
        known += ref.parties
    if not ids:
        raise validation.fail(field, f"at least one {KINDS[kind].id_field} is required")
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
    settle: Mapping[str, Any] | None = None,
    fields: Mapping[str, str] | None = None,
) -> WaitSpec:
    """A checked ``WaitSpec``; raises ``ValidationError`` naming the field before any request is sent.

    ``settle``: ``settle_on`` / ``max_failures`` / ``min_reached`` of a ``settled`` target; ``fields``: the
    names a sending operator gives ``target``, the selection and the prefix of those (``wait_for``...).
    """
    if kind not in KINDS:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(KINDS)}", field="kind")
    spec_kind = KINDS[kind]
    names = {"target": "target", "selection": spec_kind.parties, "prefix": "", **(fields or {})}
    target_text = validation.one_of(str(target).strip().lower(), spec_kind.wait_targets, names["target"])
    found, known = parse_ids(kind, ids, id_field or spec_kind.id_field)
    settled = _tolerance(kind, target_text, selection, settle, names)
    chosen = parse_selection(kind, selection, names["selection"]) if spec_kind.selectable else "all"
    if isinstance(chosen, tuple) and known:
        strangers = [a for a in chosen if a not in known]
        if strangers:
            raise validation.fail(names["selection"], f"{', '.join(strangers)} is not a recipient of this send")
    return WaitSpec(kind, found, target_text, chosen, float(deadline), known, settled)


def _tolerance(
    kind: str, target: str, selection: Any, settle: Mapping[str, Any] | None, names: Mapping[str, str]
) -> Tolerance | None:
    return tolerance(
        kind,
        target,
        selection,
        **(settle or {}),
        prefix=names["prefix"],
        target_field=names["target"],
        selection_field=names["selection"],
    )


ITEM_NAMES = {"email": "a certified email", "signature": "a signature request", "sms": "a certified SMS"}
"""How a message names each kind of item."""

SENDER_FIELDS = {"target": "wait_for", "selection": "wait_recipients", "prefix": "wait_"}
"""What a sending operator calls a wait's target, selection and tolerance (``wait_max_failures``...)."""


def check_wait_arguments(
    kind: str, target: Any, selection: Any, timeout: float | None, settle: Mapping[str, Any] | None = None
) -> None:
    """``wait_for`` / ``wait_recipients`` / ``wait_timeout`` / ``wait_settle_on`` / ``wait_max_failures`` /
    ``wait_min_reached`` of a sending operator, checked at parse time."""
    targets = KINDS[kind].wait_targets
    if target not in targets:
        raise validation.fail("wait_for", f"{target!r} is not one of {', '.join(targets)} for {ITEM_NAMES[kind]}")
    _tolerance(kind, target, selection, settle, SENDER_FIELDS)
    if KINDS[kind].selectable:
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
    settle: Mapping[str, Any] | None = None,
    *,
    deadline_name: str | None = None,
) -> WaitSpec:
    """The wait of a sending operator's ``wait_for=``, on its whole summary; deadline fixed by the first try.

    ``deadline_name``: the document keeping it, when not ``deadline`` (a re-sent signature request's own wait).
    """
    seconds = timeout if timeout is not None else KINDS[kind].default_timeout
    deadline = task_deadline(context, seconds, ledger_path, name=deadline_name or DEADLINE)
    return wait_spec(
        kind, summary, target, selection, deadline=deadline, id_field="wait_for", settle=settle, fields=SENDER_FIELDS
    )


log = logging.getLogger(__name__)
DEADLINE = "deadline"


def task_deadline(
    context: Mapping[str, Any], timeout: float, ledger_path: str | None = None, *, name: str = DEADLINE
) -> float:
    """``fixed_deadline`` in the running task instance's documents."""
    return fixed_deadline(task_documents(context, ledger_path), timeout, name=name)


def fixed_deadline(
    documents: DocumentStore, timeout: float, *, now: float | None = None, name: str = DEADLINE
) -> float:
    """Epoch seconds: ``first try's start + timeout``, the same for every try of this task instance.

    A document written for another ``timeout`` is replaced: changing the timeout starts a new wait.
    """
    try:
        stored = documents.read(name)
        if stored is not None and float(stored.get("timeout", -1)) == float(timeout):
            return float(stored["deadline"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("The wait's deadline at %s is unreadable (%s): fixing it again from now", documents.where, exc)
    started = time.time() if now is None else now
    deadline = started + float(timeout)
    documents.write(name, {"deadline": deadline, "timeout": float(timeout), "fixed_at": started})
    return deadline
