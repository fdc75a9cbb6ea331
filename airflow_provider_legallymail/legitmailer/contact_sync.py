"""Contact-list sync: read the source once, plan against the snapshot, write only what changed.

Pass 1 spools the source rows (customer id, email, data columns and a digest of them) into a scratch
SQLite file, reporting bad rows and repeated customer ids all at once. The plan then joins them with the
snapshot: ids missing from it are created, ids whose digest differs are updated, in ``mirror`` mode
ids that left the source are deleted; equal digests cost no request. Without a usable snapshot every row
is checked with a GET (404: add; different: PUT; equal: unchanged) and mirror deletes are skipped, since
nothing tells which ids left. The writes run on a few threads; every success is recorded in the new
snapshot, so a failed or partial run leaves a snapshot that is true for what it says.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.bounded import HookPool, run_bounded
from airflow_provider_legallymail.exceptions import MailApiError, NotFoundError, RefusedError, ValidationError
from airflow_provider_legallymail.legitmailer.contact_snapshot import ContactSnapshot, snapshot_location
from airflow_provider_legallymail.legitmailer.problems import Problems, RowError, redact
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, Row, RowSource
from airflow_provider_legallymail.legitmailer.scratch import scratch_db
from airflow_provider_legallymail.storage import digest as text_digest

if TYPE_CHECKING:
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
    from airflow_provider_legallymail.models.legitmailer import Contact

log = logging.getLogger(__name__)

SHOWN_IDS = 10
OUTCOMES = ("created", "updated", "deleted", "unchanged")


def resolve_list(hook: LegitmailerHook, contact_list: str) -> tuple[str, str]:
    """``(id, name)`` of the contact list whose id, or else whose name, is ``contact_list``."""
    lists = hook.list_contact_lists()
    by_id = [c for c in lists if c.contact_list_id == contact_list]
    by_name = [c for c in lists if c.name == contact_list]
    found = by_id or by_name
    if len(found) == 1:
        return found[0].contact_list_id, str(found[0].name or found[0].contact_list_id)
    if found:
        raise validation.fail("contact_list", f"{len(found)} contact lists are named {contact_list!r}; give its id")
    names = ", ".join(sorted(str(c.name) for c in lists)) or "none"
    raise validation.fail("contact_list", f"{contact_list!r} is not a contact list of this account (lists: {names})")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def digest(email: str, data: Mapping[str, Any]) -> str:
    """What a contact holds, compared as text (the API may give back ``"42"`` for ``42``)."""
    canonical = json.dumps([email.strip(), sorted((str(k), _text(v)) for k, v in data.items())])
    return text_digest(canonical, length=32)


def server_digest(email: str | None, data: list[dict[str, Any]]) -> str:
    merged: dict[str, Any] = {}
    for item in data:
        merged.update(item)
    return digest(email or "", merged)


def contact_of(row: Mapping[str, Any] | BadRow, key: str) -> tuple[str, str, dict[str, Any]]:
    """``(customer_id, email, data)``: the key column, ``email``, and the other columns (or a ``data`` column)."""
    if isinstance(row, BadRow):
        raise RowError(row.reason)
    customer_id = _text(row.get(key)).strip()
    if not customer_id:
        raise RowError(f"{key}: missing")
    try:
        email = validation.email_address(row.get("email"), "email")
    except ValidationError:
        raise RowError("email: missing or not a valid address") from None
    nested = row.get("data")
    if isinstance(nested, Mapping | list):
        try:
            data = {k: v for item in validation.contact_data(nested) for k, v in item.items()}
        except ValidationError:
            raise RowError("data: not a list of {column: value} objects") from None
    else:
        data = row.except_columns(key, "email") if isinstance(row, Row) else Row(row).except_columns(key, "email")
    return customer_id, email, data


@dataclass
class Spooled:
    rows: int = 0
    valid: int = 0
    problems: Problems = field(default_factory=lambda: Problems("the contacts"))


def spool_contacts(db: sqlite3.Connection, source: RowSource, key: str) -> Spooled:
    """Pass 1 into table ``src``; invalid rows with an id are kept (``ok = 0``) so mirror never deletes them."""
    db.execute(
        "CREATE TABLE src (customer_id TEXT PRIMARY KEY, row INTEGER, email TEXT, data TEXT, digest TEXT, ok INTEGER)"
    )
    spooled = Spooled()
    db.execute("BEGIN")
    for number, row in enumerate(source, start=1):
        spooled.rows = number
        values: tuple[Any, ...]
        try:
            customer_id, email, data = contact_of(row, key)
            values = (customer_id, number, email, json.dumps(data, default=str), digest(email, data), 1)
        except RowError as exc:
            spooled.problems.add(f"row {number}", str(exc))
            customer_id = _text(row.get(key)).strip() if isinstance(row, Mapping) else ""
            if not customer_id:
                continue
            values = (customer_id, number, None, None, None, 0)
        try:
            db.execute("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?)", values)
        except sqlite3.IntegrityError:
            first = db.execute("SELECT row FROM src WHERE customer_id = ?", (customer_id,)).fetchone()[0]
            spooled.problems.add(f"row {number}", f"{key} repeats row {first}")
            db.execute("UPDATE src SET ok = 0 WHERE customer_id = ?", (customer_id,))
            continue
    db.execute("COMMIT")
    spooled.valid = db.execute("SELECT count(*) FROM src WHERE ok").fetchone()[0]
    return spooled


def plan(db: sqlite3.Connection, snapshot: ContactSnapshot, mirror: bool) -> int:
    """Fill table ``plan`` (kind, customer_id) and return how many rows are unchanged per the snapshot."""
    db.execute("CREATE TABLE plan (seq INTEGER PRIMARY KEY, kind TEXT, customer_id TEXT)")
    if not snapshot.usable:
        db.execute("INSERT INTO plan (kind, customer_id) SELECT 'check', customer_id FROM src WHERE ok ORDER BY row")
        return 0
    db.execute("ATTACH DATABASE ? AS snap", (snapshot.local,))
    try:
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO plan (kind, customer_id) SELECT CASE WHEN s.digest IS NULL THEN 'create' ELSE 'update' END, "
            "src.customer_id FROM src LEFT JOIN snap.contacts s ON s.customer_id = src.customer_id "
            "WHERE src.ok AND (s.digest IS NULL OR s.digest != src.digest) ORDER BY src.row"
        )
        if mirror:
            db.execute(
                "INSERT INTO plan (kind, customer_id) SELECT 'delete', s.customer_id FROM snap.contacts s "
                "WHERE NOT EXISTS (SELECT 1 FROM src WHERE src.customer_id = s.customer_id) ORDER BY s.customer_id"
            )
        db.execute("COMMIT")
        unchanged: int = db.execute(
            "SELECT count(*) FROM src JOIN snap.contacts s ON s.customer_id = src.customer_id "
            "WHERE src.ok AND s.digest = src.digest"
        ).fetchone()[0]
    finally:
        db.execute("DETACH DATABASE snap")
    return unchanged


@dataclass(frozen=True)
class Op:
    kind: str
    customer_id: str
    email: str | None
    data: dict[str, Any] | None
    digest: str | None


def planned(db: sqlite3.Connection, chunk: int = 500) -> Iterator[Op]:
    cursor = db.execute(
        "SELECT p.kind, p.customer_id, s.email, s.data, s.digest FROM plan p "
        "LEFT JOIN src s ON s.customer_id = p.customer_id ORDER BY p.seq"
    )
    while rows := cursor.fetchmany(chunk):
        for kind, customer_id, email, data, row_digest in rows:
            yield Op(kind, customer_id, email, json.loads(data) if data else None, row_digest)


@dataclass
class Writer:
    """Carries out (or, in a dry run, only classifies) each planned operation on a worker thread."""

    hooks: HookPool[LegitmailerHook]
    contact_list_id: str
    dry_run: bool

    def __call__(self, op: Op) -> str:
        if op.kind == "delete":
            return self._delete(op)
        if op.kind == "create":
            return self._create(op)
        if op.kind == "update":
            return self._update(op)
        return self._check(op)

    def _args(self, op: Op) -> tuple[str, str, str, dict[str, Any]]:
        return self.contact_list_id, op.customer_id, str(op.email), dict(op.data or {})

    def _create(self, op: Op) -> str:
        if self.dry_run:
            return "created"
        try:
            self.hooks.get().add_contact(*self._args(op))
        except ValidationError as refused:  # maybe added outside this sync: find out with a GET
            try:
                current = self.hooks.get().get_contact(self.contact_list_id, op.customer_id)
            except NotFoundError:
                raise refused from None
            return self._converge(op, current)
        return "created"

    def _update(self, op: Op) -> str:
        if self.dry_run:
            return "updated"
        try:
            self.hooks.get().update_contact(*self._args(op))
        except NotFoundError:  # deleted outside this sync
            self.hooks.get().add_contact(*self._args(op))
            return "created"
        return "updated"

    def _check(self, op: Op) -> str:
        try:
            current = self.hooks.get().get_contact(self.contact_list_id, op.customer_id)
        except NotFoundError:
            if not self.dry_run:
                self.hooks.get().add_contact(*self._args(op))
            return "created"
        return self._converge(op, current)

    def _converge(self, op: Op, current: Contact) -> str:
        if server_digest(current.email, current.data) == op.digest:
            return "unchanged"
        if not self.dry_run:
            self.hooks.get().update_contact(*self._args(op))
        return "updated"

    def _delete(self, op: Op) -> str:
        if not self.dry_run:
            with contextlib.suppress(NotFoundError):  # already gone
                self.hooks.get().delete_contact(self.contact_list_id, op.customer_id)
        return "deleted"


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*OUTCOMES, "failed"), 0))
    first: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in OUTCOMES})
    refused: Problems = field(default_factory=lambda: Problems("the contacts the API refused"))
    error: BaseException | None = None

    def add(self, op: Op, outcome: str | None, error: BaseException | None, snapshot: ContactSnapshot | None) -> None:
        if error is None and outcome is not None:
            self.counts[outcome] += 1
            if len(self.first[outcome]) < SHOWN_IDS:
                self.first[outcome].append(op.customer_id)
            if snapshot is not None:
                if outcome == "deleted":
                    snapshot.forget(op.customer_id)
                else:
                    snapshot.record(op.customer_id, str(op.digest))
            return
        self.counts["failed"] += 1
        if isinstance(error, ValidationError) and error.status_code == 400:
            self.refused.add(f"customer {op.customer_id}", error.api_message or str(error))
        else:
            self.error = self.error or error
            log.warning("customer %s: %s", op.customer_id, redact(f"{type(error).__name__}: {error}"))


def apply(db: sqlite3.Connection, writer: Writer, snapshot: ContactSnapshot, max_active: int) -> Tally:
    tally = Tally()
    record = None if writer.dry_run else snapshot
    for done in run_bounded(planned(db), writer, max_active, stop=lambda: tally.error is not None):
        tally.add(done.item, done.result, done.error, record)
    return tally


def raise_if_needed(tally: Tally, skip_invalid: bool) -> None:
    if tally.error is not None:
        cls = RefusedError if isinstance(tally.error, RefusedError) else MailApiError
        raise cls(
            f"stopped after {redact(f'{type(tally.error).__name__}: {tally.error}')}; what was written is in the "
            "snapshot, so a retry writes only the rest"
        ) from None
    if tally.refused and not skip_invalid:
        raise RefusedError(
            tally.refused.report() + "\nThe API would refuse them again, so the task fails without retries "
            "(with skip_invalid=True they are counted as failed)."
        )


@dataclass(frozen=True)
class SyncRequest:
    """What ``ContactSyncOperator`` asks for, checked."""

    contact_list: str
    key: str
    mirror: bool
    dry_run: bool
    snapshot_path: Any
    skip_invalid: bool
    max_active: int


def _mode(request: SyncRequest) -> str:
    mode = "mirror (also deletes ids that left the source)" if request.mirror else "upsert"
    return f"{mode}{', dry run: nothing is written' if request.dry_run else ''}"


def sync_contacts(hook: LegitmailerHook, source: RowSource, request: SyncRequest) -> dict[str, Any]:
    """Spool, plan and apply one sync; returns the counts (and the plan on a dry run).

    Bad rows raise ``ValidationError`` before anything is written, unless ``skip_invalid``.
    """
    list_id, list_name = resolve_list(hook, request.contact_list)
    log.info("Contact list %r (id %s), key column %r, %s", list_name, list_id, request.key, _mode(request))
    with scratch_db("contacts") as (db, directory):
        spooled = spool_contacts(db, source, request.key)
        log.info("%d row(s) from %s, %d valid", spooled.rows, source.describe(), spooled.valid)
        if spooled.problems and not request.skip_invalid:
            raise ValidationError(spooled.problems.report() + "\nNothing was written.")
        if spooled.problems:
            log.warning("Skipping invalid rows (skip_invalid=True):\n%s", spooled.problems.report())
        meta = {"contact_list_id": list_id, "key": request.key}
        snapshot = ContactSnapshot(snapshot_location(request.snapshot_path, list_id), directory, meta)
        try:
            unchanged = plan(db, snapshot, request.mirror)
            if request.mirror and not snapshot.usable:
                log.warning("No snapshot yet: mirror deletes nothing this run (the API cannot list contacts)")
            writer = Writer(HookPool(hook), list_id, request.dry_run)
            tally = apply(db, writer, snapshot, request.max_active)
        finally:
            if request.dry_run:
                snapshot.close()
            else:
                snapshot.save()
    tally.counts["unchanged"] += unchanged
    result: dict[str, Any] = {
        **tally.counts,
        "skipped": spooled.problems.count,
        "snapshot": "used" if snapshot.usable else "rebuilt",
    }
    log.info("Contact list %r (id %s): %s", list_name, list_id, result)
    if request.dry_run:
        result.update(dry_run=True, plan=tally.first, problems=spooled.problems.first)
        return result
    raise_if_needed(tally, request.skip_invalid)
    return result
