"""Contract reminders from a CSV file: one Legitmailer template to every customer, checked before it is sent.

What it shows:

- ``TemplateBatchOperator(dry_run=True)`` as a validation task: every row of
  ``data/contract_reminders.csv`` is checked against the tokens of the ``contract-reminder`` template
  (``${name}``, ``${contract}``, ``${due_date}``, read from the API), addresses are checked and
  de-duplicated, and nothing is sent. A bad row fails this task, so the send never starts.
- The send itself: the same operator and the same source, in batches of ``batch_size`` recipients per
  request, each batch sent at most once whatever Airflow retries.

Both tasks return their counts as XCom (``to_send`` and ``batches`` for the check; ``sent``, ``duplicates``
and the batches for the send). The Legitmailer connection comes from ``AIRFLOW_CONN_LEGITMAILER_DEFAULT``.
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

REMINDERS = str(Path(__file__).parent / "data" / "contract_reminders.csv")

with DAG(
    dag_id="example_template_batch",
    schedule="0 8 * * 1-5",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 2},  # safe: a retry sends only the batches that did not go out
    doc_md=__doc__,
    tags=["legitmailer", "example"],
) as dag:
    # [START template_batch_csv]
    check_reminders = TemplateBatchOperator(
        task_id="check_reminders",
        template="contract-reminder",
        recipients=REMINDERS,
        dry_run=True,
    )
    send_reminders = TemplateBatchOperator(
        task_id="send_reminders",
        template="contract-reminder",
        recipients=REMINDERS,
        batch_size=50,
    )
    check_reminders >> send_reminders
    # [END template_batch_csv]
