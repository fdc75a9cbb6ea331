"""What the provider's own operators sent, read back from their send ledgers (``delivery/ledger.py``).

Every ``SendCertifiedEmailOperator``, ``SignatureRequestOperator`` and ``SmsOperator`` try records each send
unit under ``<ledger_path>/<dag_id>/<run_id>/<task>[.<map_index>].json`` (or in shards beside it), keyed
``email:...``, ``signature:...``, ``sms:...``, with the ids the API returned once it accepted the unit.
The event triggers watch those ids by id, so an item sent through the provider is seen whatever falls
off the API's 25-item lists. Reading is sync (object storage); the triggers call it in a worker thread.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from airflow_provider_legallymail.delivery.ledger import AttemptState, default_ledger_path
from airflow_provider_legallymail.storage import location

log = logging.getLogger(__name__)
ID_KEYS = {"email": "tracking_id", "signature": "uuid", "sms": "uuid"}
LOOKBACK = 14 * 86400.0
"""Sends older than this (seconds, by the ledger's ``finished_at``) are not looked for in the ledgers."""


def _when(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


def ids_in_document(doc: Any, kind: str, since: float) -> list[tuple[str, float | None]]:
    """``(id, sent_at)`` of ``kind`` a ledger document (or shard) records as accepted after ``since`` (epoch).

    ``sent_at``: when the POST went out (the worker's clock), else when the attempt started; None if unknown.
    """
    found: list[tuple[str, float | None]] = []
    units = doc.get("units") if isinstance(doc, dict) else None
    for key, attempts in (units or {}).items():
        if not str(key).startswith(f"{kind}:") or not attempts:
            continue
        last = attempts[-1]
        if AttemptState.parse(last.get("state")) is not AttemptState.ACCEPTED:
            continue
        finished = _when(last.get("finished_at") or last.get("at"))
        if finished is not None and finished < since:
            continue
        result = last.get("result") or {}
        ident = result.get(ID_KEYS[kind]) if isinstance(result, dict) else None
        if ident:
            found.append((str(ident), _when(last.get("sent_at") or last.get("at"))))
    return found


def sent_ids(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> list[str]:
    """Every id of ``kind`` the provider's operators sent in the last ``lookback`` seconds (sync: use a thread)."""
    return list(sent_times(kind, ledger_path, now, lookback))


def sent_times(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> dict[str, float | None]:
    """``sent_ids`` with when each was sent (epoch, the worker's clock; None: unknown)."""
    root = location(ledger_path or default_ledger_path())
    if not root.exists():
        return {}
    found: list[tuple[str, float | None]] = []
    for path in root.rglob("*.json"):
        name = path.name
        if name.endswith(".deadline.json") or "claims" in path.parts[-2:-1]:
            continue
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:  # a document being written, or not a ledger: next scan
            log.debug("Skipping %s: %s", path, exc)
            continue
        found += ids_in_document(doc, kind, now - lookback)
    return dict(reversed(found))  # an id recorded twice keeps its first sending time
