"""Pass 2 of a campaign: each spooled row delivered once through the ledger, then the summary.

Rows go out one after another: LegallyMail allows 10 requests a minute, which the hook's client already
paces (it waits for the request budget), so threads would only wait together. Each row is a ledger unit
delivered by ``delivery.deliverer.Deliverer``: a retry adopts the rows that went out, looks up a row whose
answer was lost (``delivery.lost_sends``), and sends the rest, so it continues where the last try stopped.
What went out is kept in the scratch database (table ``sent``), not in memory, until the summary is built.
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_legallymail.campaigns.spool import Item, keys_by_shard, spooled
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery.deliverer import Deliverer, SendUnit
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.exceptions import RefusedError, ValidationError
from airflow_provider_legallymail.legitmailer.problems import SHOWN, redact

log = logging.getLogger(__name__)

PROGRESS_EVERY = 100


def to_send(db: sqlite3.Connection, ledger: SendLedger) -> tuple[int, int]:
    """``(rows still to send, rows an earlier try already sent)``, from the ledger."""
    left = done = 0
    for key in keys_by_shard(db):
        previous = ledger.last_attempt(key)
        if previous is not None and previous["state"] is AttemptState.ACCEPTED:
            done += 1
        else:
            left += 1
    return left, done


def check_credits(remaining: int | None, need: int) -> None:
    """Fail before the first send when the account has fewer email credits than the rows still to send."""
    if remaining is not None and need > remaining:
        raise AirflowFailException(
            f"not enough email credits: this campaign still has {need} certified email(s) to send and the account "
            f"has {remaining} remaining (GET /api/info remaining_emails). Nothing was sent. Buy credits, or send "
            "fewer rows, then clear the task."
        )


@dataclass
class Campaign:
    """Delivers spooled rows; ``unit(item)`` builds each row's ``SendUnit``, ``id_of(result)`` its id.

    ``deliverer()`` gives a ``Deliverer`` for one row: it keeps a little state per unit it delivered, so a new
    one per row keeps memory flat over 10,000 rows.
    """

    db: sqlite3.Connection
    deliverer: Callable[[], Deliverer]
    unit: Callable[[Item], SendUnit]
    id_of: Callable[[dict[str, Any]], str]
    sent: int = 0
    adopted: int = 0
    refused: list[int] = field(default_factory=list)

    def run(self, total: int) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS sent (number INT PRIMARY KEY, row_key TEXT, who TEXT, id TEXT, "
            "status TEXT, adopted INT)"
        )
        done = 0
        for item in spooled(self.db):
            try:
                result = self.deliverer().deliver(self.unit(item))
            except ValidationError as exc:
                if exc.status_code != 400:
                    raise self._stopped(exc, item.number) from None
                self.refused.append(item.number)  # this row's request is refused for good: the others go on
                log.warning("row %d: refused by the API: %s", item.number, redact(str(exc)))
                continue
            except Exception as exc:
                raise self._stopped(exc, item.number) from None
            done += 1
            adopted = bool(result.get("adopted"))
            self.adopted += adopted
            self.sent += not adopted
            self.db.execute(
                "INSERT OR REPLACE INTO sent VALUES (?, ?, ?, ?, ?, ?)",
                (item.number, item.row_key, _who(item), self.id_of(result), result.get("status"), int(adopted)),
            )
            if done % PROGRESS_EVERY == 0 or done == total:
                log.info(
                    "%d of %d row(s) done: %d sent now, %d adopted from an earlier try",
                    done,
                    total,
                    self.sent,
                    self.adopted,
                )
        if self.refused:
            rows = ", ".join(map(str, self.refused[:SHOWN]))
            raise RefusedError(
                f"the API refused {len(self.refused)} row(s) (HTTP 400; rows {rows}); every other row went out. "
                "The same request would be refused again, so the task fails without retries: fix those rows and "
                "clear the task, and only they are sent."
            )

    def _stopped(self, exc: Exception, number: int) -> Exception:
        """The error that stops the campaign at row ``number``: its class says whether Airflow retries. The
        deliverer's refusals name the row's request; addresses in them are replaced by ``<address>``."""
        log.error(
            "stopped at row %d after %d row(s) sent and %d adopted: %s. Every row that went out is in the ledger; "
            "a retry sends only the rest.",
            number,
            self.sent,
            self.adopted,
            redact(f"{type(exc).__name__}: {exc}"),
        )
        if type(exc) is AirflowFailException:
            return AirflowFailException(f"row {number}: {redact(str(exc))}")
        return exc

    def ids(self) -> Iterable[tuple[int, str | None, str, str, str | None, bool]]:
        """``(row number, row key, recipient, id, status, adopted)`` of every row that went out, in row order."""
        cursor = self.db.execute("SELECT number, row_key, who, id, status, adopted FROM sent ORDER BY number")
        while chunk := cursor.fetchmany(500):
            for number, row_key, who, ident, status, adopted in chunk:
                yield number, row_key, who, ident, status, bool(adopted)


def _who(item: Item) -> str:
    if "email" in item.data:
        return str(item.data["email"])
    signers = item.data.get("signers") or [{}]
    return str(signers[0].get("email", ""))  # type: ignore[index,union-attr]


def write_results(campaign: Campaign, path: Any, id_column: str) -> str:
    """Write ``row,key,<id_column>,status,adopted`` (one line per row that went out) to ``path`` (a local path,
    ``ObjectStoragePath`` or URL); returns where. Addresses are not written."""
    from airflow.sdk import ObjectStoragePath

    target: Any = ObjectStoragePath(path if "://" in str(path) else f"file://{path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "key", id_column, "status", "adopted"])
        for number, row_key, _, ident, status, adopted in campaign.ids():
            writer.writerow([number, row_key or "", ident, status or "", "true" if adopted else "false"])
    return str(target)
