"""What the provider's own operators sent, read back from their send ledgers (``delivery/ledger.py``).

Every ``SendCertifiedEmailOperator``, ``SignatureRequestOperator`` and ``SmsOperator`` try records each send
unit under ``<ledger_path>/<dag_id>/<run_id>/<task>[.<map_index>].json`` (or in shards beside it), keyed
``email:...``, ``signature:...``, ``sms:...``, with the ids the API returned once it accepted the unit.
The event triggers watch those ids by id, so an item sent through the provider is seen whatever falls
off the API's 25-item lists. Reading is sync (object storage); the triggers call it in a worker thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_legallymail.delivery.ledger import accepted_units
from airflow_provider_legallymail.kinds import KINDS

LOOKBACK = 14 * 86400.0
"""Sends older than this (seconds, by the ledger's ``finished_at``) are not looked for in the ledgers."""


def _when(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value)).timestamp() if value else None
    except ValueError:
        return None


def sent_ids(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> list[str]:
    """Every id of ``kind`` the provider's operators sent in the last ``lookback`` seconds (sync: use a thread)."""
    return list(sent_times(kind, ledger_path, now, lookback))


def sent_times(kind: str, ledger_path: str | None, now: float, lookback: float = LOOKBACK) -> dict[str, float | None]:
    """``sent_ids`` with when each was sent (epoch, the worker's clock; None: unknown).

    When: the POST went out (``sent_at``), else the attempt started; a send finished before ``now - lookback``
    is left out.
    """
    found: list[tuple[str, float | None]] = []
    for key, last in accepted_units(ledger_path):
        if not key.startswith(f"{kind}:"):
            continue
        finished = _when(last.get("finished_at") or last.get("at"))
        if finished is not None and finished < now - lookback:
            continue
        result = last.get("result") or {}
        ident = result.get(KINDS[kind].id_field) if isinstance(result, dict) else None
        if ident:
            found.append((str(ident), _when(last.get("sent_at") or last.get("at"))))
    return dict(reversed(found))  # an id recorded twice keeps its first sending time
