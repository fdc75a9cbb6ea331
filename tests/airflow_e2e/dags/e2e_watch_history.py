"""A test DAG for ``make test-airflow``: an email watcher whose runs show what it announced.

Copied beside the examples into the stack's dags folder. Paused when parsed: its watcher starts (and takes
its baseline) once the test unpauses it.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_legallymail.triggers.legallymail import CertifiedEmailEventTrigger

DELIVERED = Asset(
    "legallymail://e2e/delivered",
    watchers=[
        AssetWatcher(
            "e2e_delivered",
            trigger=CertifiedEmailEventTrigger(statuses=["delivered"], poll_interval=15, event_spacing=5),
        )
    ],
)

with DAG("e2e_watch_history", schedule=[DELIVERED], start_date=pendulum.datetime(2024, 1, 1), catchup=False):

    @task
    def announced(triggering_asset_events: Any = None) -> list[list[str]]:
        return [
            [e.extra["payload"]["id"], e.extra["payload"]["status"]]
            for events in triggering_asset_events.values()
            for e in events
        ]

    announced()
