"""Each contract archived as soon as it is signed, with no waiting task: a DAG started by the outcome itself.

What it shows:

- ``Asset("legallymail://signatures/signed")`` with an ``AssetWatcher`` running ``SignatureEventTrigger``
  in the triggerer: one event per signature request that reaches ``signed``, whoever sent it (this
  provider's operators, such as ``example_contract_signing``, or the dashboard). No sensor and no DAG run
  sits in ``deferred`` for the days a signer takes; the watcher polls on the connection's shared poller,
  within its rate budget, and remembers what it announced across triggerer restarts.
- ``example_signed_contract_events``, scheduled on that Asset: ``signed_contracts`` reads every event of
  ``triggering_asset_events`` (Airflow may put several events in one run) and returns their payloads, one
  per contract; ``ArchiveEvidenceOperator`` is mapped over them, one archive per contract: the original and
  the signed acta, checked against the API's SHA-256, with a ``manifest.json``; ``record_signed`` returns
  what was archived where.
- The watcher spaces its events (``event_spacing``, 5 s), so the scheduler starts one run per signed
  contract: Airflow would otherwise leave an event that arrives while it creates a run for the next event.

With ``example_contract_signing`` beside it, both archive a contract into the same folder,
``<evidence dir>/contracts/<uuid>/``: whichever comes second finds it complete and verified, and downloads
nothing. Where things are: the Airflow Variable (or ``AIRFLOW_VAR_...``) ``legallymail_evidence_dir``, the
archive root (default ``$AIRFLOW_HOME/legallymail-evidence``, or an object-storage URL such as
``s3://bucket/evidence``). The LegallyMail connection comes from ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.triggers.legallymail import SignatureEventTrigger

AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
EVIDENCE_DIR = str(AIRFLOW_HOME / "legallymail-evidence")
# [START events_example_watcher]
SIGNED = Asset(
    "legallymail://signatures/signed",
    watchers=[
        AssetWatcher(
            "legallymail_signatures_signed",
            trigger=SignatureEventTrigger(statuses=["signed"], poll_interval=30),
        )
    ],
)
# [END events_example_watcher]

with DAG(
    dag_id="example_signed_contract_events",
    schedule=[SIGNED],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    user_defined_macros={"evidence_dir": EVIDENCE_DIR},  # the default of the Variable
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as dag:
    # [START events_example_consumer]
    @task
    def signed_contracts(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
        """The payload of each signature event in this run, once each (keyed by ``event_id``)."""
        payloads: dict[str, dict[str, Any]] = {}
        for events in (triggering_asset_events or {}).values():
            for event in events:
                body = event.extra.get("payload") or {}  # an event not from the watcher has none
                if body.get("kind") == "signature" and body.get("id"):
                    payloads.setdefault(body.get("event_id") or body["id"], body)
        return list(payloads.values())

    # [END events_example_consumer]

    contracts = signed_contracts()
    archives = ArchiveEvidenceOperator.partial(
        task_id="archive_contract",
        destination="{{ var.value.get('legallymail_evidence_dir', evidence_dir) }}",
        layout="contracts/{{ id }}",
    ).expand(evidence=contracts)

    @task(trigger_rule="none_failed")  # a run with no signature event (a manual run) archives nothing
    def record_signed(signed: Any, archived: Any) -> list[dict[str, Any]]:
        """One line per contract archived: uuid, document, when it was signed, where its evidence is."""
        by_id = {payload["id"]: payload for payload in signed}
        return [
            {
                "uuid": archive["id"],
                "document_name": by_id.get(archive["id"], {}).get("document_name"),
                "signed_at": by_id.get(archive["id"], {}).get("reached_at"),
                "manifest": archive["manifest"],
                "verified_files": sorted(archive["files"]),
            }
            for returned in archived[:]  # the mapped archives' return values, read in one request
            for archive in returned["archives"]
        ]

    record_signed(contracts, archives.output)
