"""A signature request per row of a contracts table, with each request's uuid written back."""

from __future__ import annotations

# [START mail_merge_signatures]
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.operators.mail_merge import SignatureRequestMergeOperator

with DAG("contracts_from_a_table", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
    contracts = SignatureRequestMergeOperator(
        task_id="contracts",
        rows="/path/to/contracts.csv",  # contract_id,document,signer_name,signer_email
        key_column="contract_id",
        results_path="/path/to/contracts-sent.csv",  # row,key,uuid,status,adopted
        language="en",
    )

    @task
    def record(sent: Any) -> None:
        for contract_id, uuid in sent["by_key"].items():
            print(f"contract {contract_id}: signature request {uuid}")

    record(contracts.output)
# [END mail_merge_signatures]
