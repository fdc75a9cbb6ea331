"""One Legitmailer template to every row an upstream task returns, in batches, each sent at most once."""

from __future__ import annotations

# [START template_batch_from_task]
import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.legitmailer import TemplateBatchOperator

with DAG(
    "contract_reminders_from_a_task",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # safe: a retry sends only the batches that did not go out
) as dag:

    @task
    def contracts_due() -> list[dict[str, str]]:
        """Flat rows: the address and one column per ${token} of the template; other columns are not sent."""
        return [
            {"email": "ana@example.com", "name": "Ana", "contract": "K-1", "due_date": "2026-03-01", "segment": "pro"},
            {"email": "bob@example.com", "name": "Bob", "contract": "K-2", "due_date": "2026-03-03", "segment": "b2b"},
            {"email": "ANA@example.com", "name": "Ana", "contract": "K-1", "due_date": "2026-03-01", "segment": "pro"},
        ]

    TemplateBatchOperator(
        task_id="send_reminders",
        template="contract-reminder",  # its tokens ${name}, ${contract}, ${due_date} are read from the API
        recipients=contracts_due(),
        batch_size=100,
    )
# [END template_batch_from_task]
