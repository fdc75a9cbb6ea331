"""Template batches: check every recipient first (pass 1), then send in batches at most once (pass 2).

Pass 1 streams the source once: each row must give a valid address and every ``${token}`` of the
template; addresses are de-duplicated (case-insensitive) through a hash table in a scratch SQLite file,
into which the rows to send are spooled. Nothing is sent when a row is bad, unless ``skip_invalid``.
Pass 2 reads the spool in batches of ``batch_size`` and posts them on ``max_active_requests`` threads.
Each batch is a unit of the ledger (key: its index and a digest of its addresses), delivered through
``delivery.deliverer.Deliverer``: a retry adopts what went out, sends what was refused or never tried, and
fails on a batch whose outcome is unknown unless ``on_retry="resend"``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.bounded import HookPool, run_bounded
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery.deliverer import Deliverer, OnRetry, SendUnit
from airflow_provider_legallymail.exceptions import MailApiError, RefusedError, ValidationError
from airflow_provider_legallymail.legitmailer.problems import Problems, RowError, redact
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, RowSource
from airflow_provider_legallymail.storage import digest

if TYPE_CHECKING:
    from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook

log = logging.getLogger(__name__)

SHARD_BATCHES = 100
KIND = "template batch"


def template_tokens(hook: LegitmailerHook, template: str) -> list[str]:
    """The ``${token}`` placeholders of the template named (or with the id) ``template``."""
    summaries = hook.list_templates()
    match = next((t for t in summaries if t.name == template), None) or next(
        (t for t in summaries if t.template_id == template), None
    )
    if match is None:
        names = ", ".join(sorted(t.name for t in summaries)) or "none"
        raise AirflowFailException(f"template: {template!r} is not a template of this account (templates: {names})")
    return hook.get_template(match.template_id).tokens


def recipient_of(row: Mapping[str, Any] | BadRow, tokens: list[str]) -> tuple[str, dict[str, str]]:
    """``(email, token_map)`` of one row: ``{"email", "token_map"}`` or a flat row of email + tokens."""
    if isinstance(row, BadRow):
        raise RowError(row.reason)
    raw = row.get("email")
    if raw is None or not str(raw).strip():
        raise RowError("email: missing")
    try:
        email = validation.email_address(raw, "email")
    except ValidationError:
        raise RowError("email: not a valid address") from None
    explicit = "token_map" in row or "tokenMap" in row
    given: Any = row.get("token_map", row.get("tokenMap")) if explicit else row
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            given = None
    if not isinstance(given, Mapping):
        raise RowError("token_map: not a mapping of placeholder -> value")
    missing = [token for token in tokens if given.get(token) is None]
    if missing:
        raise RowError(f"missing token(s): {', '.join(missing)}")
    if explicit:
        return email, validation.token_map(given)
    return email, {token: str(given[token]) for token in tokens}


def address_hash(email: str) -> bytes:
    return hashlib.blake2b(email.strip().lower().encode(), digest_size=16).digest()


@dataclass
class Checked:
    """The outcome of pass 1."""

    rows: int = 0
    to_send: int = 0
    duplicates: int = 0
    invalid: Problems = field(default_factory=lambda: Problems("the recipients"))


def check_recipients(db: sqlite3.Connection, source: RowSource, tokens: list[str], *, dedupe: bool) -> Checked:
    """Pass 1: validate every row and spool the ones to send into ``db`` (table ``spool``)."""
    db.execute("CREATE TABLE spool (seq INTEGER PRIMARY KEY, addr BLOB UNIQUE, email TEXT, tokens TEXT)")
    checked = Checked()
    db.execute("BEGIN")
    for number, row in enumerate(source, start=1):
        checked.rows = number
        try:
            email, token_map = recipient_of(row, tokens)
        except RowError as exc:
            checked.invalid.add(f"row {number}", str(exc))
            continue
        cursor = db.execute(
            "INSERT OR IGNORE INTO spool (addr, email, tokens) VALUES (?, ?, ?)",
            (address_hash(email) if dedupe else None, email, json.dumps(token_map)),
        )
        if cursor.rowcount:
            checked.to_send += 1
        else:
            checked.duplicates += 1
    db.execute("COMMIT")
    return checked


@dataclass(frozen=True)
class Batch:
    index: int
    recipients: list[dict[str, Any]]

    @property
    def digest(self) -> str:
        return digest(*(r["email"].lower() for r in self.recipients))


def spooled_batches(db: sqlite3.Connection, batch_size: int) -> Iterator[Batch]:
    cursor = db.execute("SELECT email, tokens FROM spool ORDER BY seq")
    index = 0
    while rows := cursor.fetchmany(batch_size):
        index += 1
        yield Batch(index, [{"email": email, "token_map": json.loads(tokens)} for email, tokens in rows])


def shard_of(unit_key: str) -> int | None:
    """Ledger shard of a batch unit (``batch:<index>:<digest>``)."""
    parts = unit_key.split(":")
    return int(parts[1]) // SHARD_BATCHES if parts[0] == "batch" and len(parts) == 3 else None


@dataclass
class Sender:
    """Pass 2: delivers batches through the ledger on a few threads and tallies the outcome."""

    hooks: HookPool[LegitmailerHook]
    ledger: ShardedLedger
    template: str
    validate: bool
    on_retry: OnRetry
    try_number: int
    sent: int = 0
    failed: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._deliverer = Deliverer(self.ledger, self.on_retry, self.try_number, None, resend_accepted=False)

    def unit(self, batch: Batch) -> SendUnit:
        return SendUnit(
            key=f"batch:{batch.index}:{batch.digest}",
            kind=KIND,
            request={"batch": batch.index, "recipients": len(batch.recipients), "digest": batch.digest},
            send=partial(self._post, batch),
        )

    def _post(self, batch: Batch) -> dict[str, Any]:
        receipt = self.hooks.get().send_template_batch(self.template, batch.recipients, validate=self.validate)
        return {"recipients": len(batch.recipients), "accepted": len(receipt.tracking_ids)}

    def deliver(self, batch: Batch) -> dict[str, Any]:
        """``resend`` sends again only what is not recorded as accepted; batches that went out are adopted."""
        return self._deliverer.deliver(self.unit(batch))

    def check_same_batches(self, batches: Iterator[Batch]) -> None:
        """Fail if batches an earlier try may have sent are not among this try's (the recipients changed)."""
        earlier = self.ledger.maybe_sent()
        if not earlier or self.on_retry is OnRetry.RESEND:
            return
        keys = {self.unit(batch).key for batch in batches}
        missing = [key.split(":")[1] for key in earlier if key not in keys]
        if missing:
            raise AirflowFailException(
                f"the recipients changed since an earlier try: {len(missing)} batch(es) it sent (or may have sent) "
                f"are not among this try's batches (batches {', '.join(missing[:20])}), so sending now could "
                "email people twice. Keep the source stable between tries (an ORDER BY for SQL), or clear the "
                "task with on_retry='resend' to send the new batches anyway."
            )

    def run(self, batches: Iterator[Batch], max_active: int, total: int) -> None:
        outcomes = run_bounded(batches, self.deliver, max_active, stop=lambda: self.error is not None)
        for done, outcome in enumerate(outcomes, start=1):
            self._tally(outcome.item, outcome.result, outcome.error)
            if done % 50 == 0 or done == total:
                log.info("%d of %d batch(es) done: %d recipient(s) sent", done, total, self.sent)
        self.batches.sort(key=lambda b: b["index"])

    def _tally(self, batch: Batch, result: dict[str, Any] | None, error: BaseException | None) -> None:
        entry: dict[str, Any] = {"index": batch.index, "recipients": len(batch.recipients)}
        if error is None and result is not None:
            self.sent += len(batch.recipients)
            entry.update(status="adopted" if result.get("adopted") else "sent", accepted=result.get("accepted"))
        elif isinstance(error, ValidationError) and error.status_code == 400:
            self.failed += len(batch.recipients)
            self.refused.append(batch.index)
            entry.update(status="refused", error=redact(str(error)))
        elif isinstance(error, AirflowFailException) and not isinstance(error, MailApiError):
            self.blocked.append(f"batch {batch.index}")  # an earlier try's outcome unknown (or on_retry=fail)
            entry.update(status="unknown", error=redact(str(error)))
        else:
            self.failed += len(batch.recipients)
            self.error = self.error or error
            entry.update(status="failed", error=redact(f"{type(error).__name__}: {error}"))
        if entry["status"] not in ("sent", "adopted"):
            log.warning("batch %d (%d recipient(s)): %s", batch.index, len(batch.recipients), entry["error"])
        self.batches.append(entry)

    def raise_if_needed(self, skip_invalid: bool) -> None:
        """After pass 2: a retry can help with errors and refusals; unknown outcomes need a person."""
        if self.error is not None:
            cls = RefusedError if isinstance(self.error, RefusedError) else MailApiError
            raise cls(
                f"stopped sending after {redact(f'{type(self.error).__name__}: {self.error}')}; "
                f"{self.sent} recipient(s) went out and are recorded in the ledger. A retry sends only what is "
                "not recorded as sent (a batch whose outcome is unknown is sent again only with on_retry='resend')"
            ) from None
        if self.blocked and self.on_retry is OnRetry.FAIL:
            raise AirflowFailException(
                f"on_retry='fail' and an earlier try already sent or attempted {len(self.blocked)} batch(es) "
                f"({', '.join(self.blocked[:20])}); they were not sent again"
            )
        if self.blocked:
            raise AirflowFailException(
                f"{len(self.blocked)} batch(es) were sent by an earlier try whose outcome is unknown "
                f"({', '.join(self.blocked[:20])}); Legitmailer cannot list sends, so they were not sent again. "
                "Every other batch went out. Check the Legitmailer dashboard, then clear the task with "
                "on_retry='resend' to send those batches again (batches that went out are still adopted)."
            )
        if self.refused and not skip_invalid:
            raise RefusedError(
                f"the API refused {len(self.refused)} batch(es) (HTTP 400; batches {self.refused[:20]}); "
                "every other batch went out. The same request would be refused again, so the task fails without "
                "retries: fix the rows and clear the task to send only the refused batches, or use "
                "skip_invalid=True to count refused batches as failed."
            )
