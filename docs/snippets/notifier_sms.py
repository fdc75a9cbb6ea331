"""Page the on-call engineer by certified SMS when any task of the DAG fails."""

from __future__ import annotations

# [START notifier_sms]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.notifications.legallymail import LegallyMailSmsNotifier

with DAG(
    "payments_reconciliation",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={
        "on_failure_callback": LegallyMailSmsNotifier(
            phone="+34600000001",
            message="{{ dag.dag_id }}: {{ ti.task_id }} failed for {{ ds }} (try {{ ti.try_number }}).",
        ),
    },
) as dag:

    @task
    def reconcile(ledger_total: str = "100.00", bank_total: str = "100.00") -> str:
        if ledger_total != bank_total:
            raise ValueError(f"ledger {ledger_total} != bank {bank_total}")
        return ledger_total

    reconcile()
# [END notifier_sms]
