"""A nightly load that sends a certified email to legal when it fails, and one when the whole run succeeds."""

from __future__ import annotations

# [START notifier_certified_email]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.notifications.legallymail import LegallyMailNotifier, send_legallymail_notification

with DAG(
    "nightly_export",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    on_success_callback=LegallyMailNotifier(
        recipients=["legal@example.com"],
        subject="{{ dag.dag_id }} completed for {{ ds }}",
        html="<p>Run {{ run_id }} completed; the export is archived.</p>",
    ),
) as dag:

    @task(
        on_failure_callback=send_legallymail_notification(  # an alias of LegallyMailNotifier
            recipients="legal@example.com, ops@example.com",
            subject="{{ ti.task_id }} failed for {{ ds }}",
            html="<p>Run {{ run_id }}, try {{ ti.try_number }}: the export did not complete.</p>",
        )
    )
    def export(source: str = "/path/to/export.csv") -> int:
        with open(source, encoding="utf-8") as rows:
            return sum(1 for _ in rows)

    export()
# [END notifier_certified_email]
