"""Contracts signed electronically every day: requests mapped over a table, deferrable waits, archived evidence.

What it shows:

- ``example_contract_signing`` (``@daily``): a ``@task`` reads the contracts still to sign from a SQLite
  table (created and seeded from ``data/contracts.csv`` the first time; see "Where things are" below), and
  ``SignatureRequestOperator.partial(...).expand_kwargs(...)`` sends one signature request per contract.
  A day with nothing to sign skips the rest.
- Each request waits for its signature in the same task (``wait_for="signed"``: deferred, in the triggerer,
  no worker slot held) and re-sends once when it expires unsigned (``resend_on_expiry=1``; a decline is
  never re-sent and fails that contract's task). A retry adopts what an earlier try sent, re-sends included.
- The uuid of each signed request is written back to the table (``awaiting_signature`` until the Asset DAG
  below marks it ``signed``); every request a contract needed is in its task's return value (``requests``).
- ``ArchiveEvidenceOperator`` mapped the same way: the original and the signed acta of each contract,
  checked against the API's SHA-256 and listed in a ``manifest.json``.
- One event on the Asset ``legallymail://contracts/signed`` per run, from ``announce_signed`` (``outlets``),
  its ``extra`` the archives of every contract in the ``ArchiveEvidenceOperator`` event shape. Why not
  ``outlets`` on the mapped archives: each would emit its own event, a fraction of a second apart, and the
  scheduler starts the consumer's run from the first; events that arrive while it does so wait for the
  next event (tomorrow's) before a run consumes them.
- ``example_contract_signed_update``, scheduled on that Asset: it reads every event of
  ``triggering_asset_events`` and marks those contracts ``signed`` in the table, with the manifest's path.

Where things are (Airflow Variables, or ``AIRFLOW_VAR_...`` environment variables):

- ``legallymail_contracts_db``: the SQLite file (default ``$AIRFLOW_HOME/legallymail-examples/contracts.db``);
  table ``contracts`` (``contract_id``, ``customer``, ``email``, ``document``, ``status``, ``signature_uuid``,
  ``signed_at``, ``manifest``). ``document`` is a path (relative ones are read from ``data/`` beside this file) or
  any URL ``ObjectStoragePath`` reads.
- ``legallymail_evidence_dir``: the archive root (default ``$AIRFLOW_HOME/legallymail-evidence``), a local
  path or an object-storage URL (``s3://...``); each contract lands in ``contracts/<uuid>/``.

The LegallyMail connection comes from ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Variable, task

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

HERE = Path(__file__).parent
AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
CONTRACTS_DB = str(AIRFLOW_HOME / "legallymail-examples" / "contracts.db")
EVIDENCE_DIR = str(AIRFLOW_HOME / "legallymail-evidence")
SIGNED_CONTRACTS = Asset("legallymail://contracts/signed")
EVENT_KEYS = ("kind", "id", "status", "statuses", "manifest", "files")  # as ArchiveEvidenceOperator's events
SCHEMA = """CREATE TABLE IF NOT EXISTS contracts (
    contract_id TEXT PRIMARY KEY, customer TEXT NOT NULL, email TEXT NOT NULL, document TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'to_sign', signature_uuid TEXT, signed_at TEXT, manifest TEXT)"""


def open_contracts(path: str | None = None) -> sqlite3.Connection:
    """The contracts table (created if missing; seeded from ``data/contracts.csv`` when empty)."""
    path = path or Variable.get("legallymail_contracts_db", default=CONTRACTS_DB)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    with db:
        db.execute(SCHEMA)
        if db.execute("SELECT COUNT(*) FROM contracts").fetchone()[0] == 0:
            with (HERE / "data" / "contracts.csv").open(newline="", encoding="utf-8") as seed:
                rows = [(r["contract_id"], r["customer"], r["email"], r["document"]) for r in csv.DictReader(seed)]
            db.executemany("INSERT INTO contracts (contract_id, customer, email, document) VALUES (?, ?, ?, ?)", rows)
    return db


with DAG(
    dag_id="example_contract_signing",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two runs would both pick the contracts not yet requested
    default_args={"retries": 2},  # safe: a retry adopts the request an earlier try sent
    user_defined_macros={"evidence_dir": EVIDENCE_DIR},  # the default of the Variable
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as dag:

    @task
    def contracts_to_sign() -> list[dict[str, Any]]:
        """One ``SignatureRequestOperator`` kwargs per contract still to sign."""
        with closing(open_contracts()) as db:
            rows = db.execute("SELECT * FROM contracts WHERE status = 'to_sign' ORDER BY contract_id").fetchall()
        return [
            {
                "document": str(HERE / "data" / row["document"]) if "://" not in row["document"] else row["document"],
                "document_name": f"{row['contract_id']}.pdf",
                "signers": [{"name": row["customer"], "email": row["email"]}],
            }
            for row in rows
        ]

    # [START waiting_resend_on_expiry]
    request_signatures = SignatureRequestOperator.partial(
        task_id="request_signature", language="en", wait_for="signed", resend_on_expiry=1
    ).expand_kwargs(contracts_to_sign())
    # [END waiting_resend_on_expiry]

    @task
    def record_requests(sent: Any) -> int:
        """Store each signed request's uuid (the last one, when a request expired and was re-sent).

        ``sent``: the mapped requests' return values (a lazy sequence of ``{"uuid", "document_name", "requests",
        "wait", ...}``; ``sent[:]`` reads them in one request, where iterating would probe one past the end).
        """
        with closing(open_contracts()) as db, db:
            for request in sent[:]:
                db.execute(
                    "UPDATE contracts SET status = 'awaiting_signature', signature_uuid = ? WHERE contract_id = ?",
                    (request["uuid"], request["document_name"].removesuffix(".pdf")),
                )
        return len(sent)

    archive_contracts = ArchiveEvidenceOperator.partial(
        task_id="archive_contract",
        destination="{{ var.value.get('legallymail_evidence_dir', evidence_dir) }}",
        layout="contracts/{{ id }}",
    ).expand(evidence=request_signatures.output)
    record_requests(request_signatures.output) >> archive_contracts

    @task(outlets=[SIGNED_CONTRACTS])
    def announce_signed(archived: Any, *, outlet_events: Any = None) -> int:
        """One asset event for the run, listing every contract archived; returns how many."""
        archives = [archive for returned in archived[:] for archive in returned["archives"]]
        outlet_events[SIGNED_CONTRACTS].extra = {
            "archives": [{key: archive[key] for key in EVENT_KEYS} for archive in archives]
        }
        return len(archives)

    announce_signed(archive_contracts.output)


with DAG(
    dag_id="example_contract_signed_update",
    schedule=[SIGNED_CONTRACTS],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as signed_update:

    @task
    def mark_signed(triggering_asset_events: Any = None) -> list[str]:
        """Mark ``signed`` each contract whose archive an event reports signed; returns the uuids it marked."""
        marked = []
        with closing(open_contracts()) as db, db:
            for events in (triggering_asset_events or {}).values():
                for event in events:
                    for archive in event.extra.get("archives", []):
                        if archive["kind"] == "signature" and archive["status"] == "signed":
                            updated = db.execute(
                                "UPDATE contracts SET status = 'signed', signed_at = ?, manifest = ? "
                                "WHERE signature_uuid = ? AND status != 'signed'",
                                (datetime.now(timezone.utc).isoformat(), archive["manifest"], archive["id"]),
                            )
                            if updated.rowcount:
                                marked.append(archive["id"])
        return marked

    mark_signed()
