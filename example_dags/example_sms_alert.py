"""Daily payments load that pages the on-call engineer by certified SMS when it fails, and texts treasury when done.

What it shows:

- ``on_failure_callback=LegallyMailSmsNotifier(...)`` on the load task: if loading ``data/payments.csv``
  fails (a missing file, an amount that is not a positive number), a certified SMS goes to the on-call
  number, with the DAG, the task and the date in its text. Airflow may fire a callback twice; the notifier
  sends once per failed try. Trigger the DAG with ``{"source": "/no/such/file.csv"}`` to see it.
- ``SmsOperator``: a certified SMS to treasury with the totals the load task returned (templated from its
  XCom), and ``wait_for="delivered"``: after sending, the same task defers (the triggerer waits, no worker
  slot held) until the SMS is delivered, and fails if it fails (``wait_timeout``: an hour here). It returns
  the SMS's uuid and status, and the outcome under ``wait``.
- ``SmsSensor`` would do the same wait as a task of its own (``SmsSensor(task_id=..., uuid=sms.output)``).

The LegallyMail connection comes from ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Param, get_current_context, task

from airflow_provider_legallymail.notifications.legallymail import LegallyMailSmsNotifier
from airflow_provider_legallymail.operators.legallymail import SmsOperator

PAYMENTS = str(Path(__file__).parent / "data" / "payments.csv")
ON_CALL_PHONE = "+34600000001"
TREASURY_PHONE = "+34600000002"

with DAG(
    dag_id="example_sms_alert",
    schedule="30 6 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"source": Param(PAYMENTS, type="string", description="CSV of the day's payments")},
    doc_md=__doc__,
    tags=["legallymail", "example"],
) as dag:
    # [START notifier_sms_example]
    @task(
        on_failure_callback=LegallyMailSmsNotifier(
            phone=ON_CALL_PHONE,
            message="{{ dag.dag_id }}: {{ ti.task_id }} failed for {{ ds }} (try {{ ti.try_number }}). See the logs.",
        )
    )
    def load_payments() -> dict[str, str | int]:
        """Read and check the day's payments; any bad amount fails the task (and pages on-call)."""
        total = Decimal(0)
        with open(get_current_context()["params"]["source"], newline="", encoding="utf-8") as source:
            rows = list(csv.DictReader(source))
        for number, row in enumerate(rows, start=1):
            try:
                amount = Decimal(row["amount_eur"])
            except (InvalidOperation, TypeError):
                raise ValueError(f"row {number}: amount_eur {row['amount_eur']!r} is not a number") from None
            if amount <= 0:
                raise ValueError(f"row {number}: amount_eur must be positive, got {amount}")
            total += amount
        return {"count": len(rows), "total_eur": f"{total:.2f}"}

    # [END notifier_sms_example]

    loaded = load_payments()
    # [START waiting_sms_wait_for]
    notify_treasury = SmsOperator(
        task_id="notify_treasury",
        phone=TREASURY_PHONE,
        message=(
            "Payments of {{ ds }} loaded: {{ ti.xcom_pull(task_ids='load_payments')['count'] }} payments, "
            "{{ ti.xcom_pull(task_ids='load_payments')['total_eur'] }} EUR."
        ),
        wait_for="delivered",
        wait_timeout=timedelta(hours=1),
    )
    # [END waiting_sms_wait_for]
    loaded >> notify_treasury
