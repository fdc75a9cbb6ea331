"""One asset per outcome to react to: signed or declined contracts, read notices, failed SMS."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_legallymail.triggers.legallymail import (
    CertifiedEmailEventTrigger,
    SignatureEventTrigger,
    SmsEventTrigger,
)

# [START trigger_event_watchers]
contract_outcome = Asset(
    "legallymail_contract_outcome",
    watchers=[
        AssetWatcher(
            "legallymail_contract_outcome",
            trigger=SignatureEventTrigger(statuses=["signed", "declined"], poll_interval=60),
        )
    ],
)
notice_read = Asset(
    "legallymail_notice_read",
    watchers=[AssetWatcher("legallymail_notice_read", trigger=CertifiedEmailEventTrigger(statuses=["read"]))],
)
sms_failed = Asset(
    "legallymail_sms_failed",
    watchers=[AssetWatcher("legallymail_sms_failed", trigger=SmsEventTrigger(statuses=["failed"]))],
)
# [END trigger_event_watchers]

# [START trigger_event_consumer]
with DAG(
    "legallymail_outcomes",
    schedule=(contract_outcome | notice_read | sms_failed),  # a run when any of them has an event
    start_date=pendulum.datetime(2026, 1, 1),
) as dag:

    @task
    def handle(triggering_asset_events=None) -> list[str]:
        handled = []
        for asset, events in triggering_asset_events.items():
            for event in events:
                payload = event.extra["payload"]
                handled.append(f"{asset.name}: {payload['kind']} {payload['id']} {payload['status']}")
        return handled

    handle()
# [END trigger_event_consumer]
