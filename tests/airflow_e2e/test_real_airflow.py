"""The example DAGs under a real scheduler, dag-processor, triggerer and api-server (LocalExecutor, SQLite),
driven and checked through the REST API as an operator of the platform would.

Run with ``make test-airflow`` (the default ``pytest`` run deselects the ``airflow_e2e`` marker).
"""

from __future__ import annotations

import csv

import pytest

from airflow_provider_legallymail.sandbox.server import SandboxServer
from demo.examples import EXAMPLES_FOLDER
from tests.airflow_e2e.api import AirflowApi
from tests.airflow_e2e.stack import AirflowStack, parse_time

pytestmark = pytest.mark.airflow_e2e

COMMON_FIELDS = {"timeout", "max_retries", "requests_per_minute", "timezone"}


def test_the_dag_processor_parses_every_example_without_import_errors(api: AirflowApi) -> None:
    for path in sorted(EXAMPLES_FOLDER.glob("example_*.py")):
        dag = api.wait_for_dag(path.stem)
        assert dag["is_paused"] is True  # new DAGs wait until someone unpauses them
    assert api.import_errors() == []


def test_a_triggered_template_batch_runs_to_success_under_the_scheduler(
    api: AirflowApi, e2e_sandbox: SandboxServer
) -> None:
    dag_id = "example_template_batch"
    api.wait_for_dag(dag_id)
    run_id = api.trigger(dag_id)
    api.set_paused(dag_id, False)
    assert api.wait_for_run(dag_id, run_id) == "success"
    assert api.task_instances(dag_id, run_id) == {"check_reminders": ("success", 1), "send_reminders": ("success", 1)}
    assert api.xcom(dag_id, run_id, "check_reminders")["to_send"] == 6
    sent = api.xcom(dag_id, run_id, "send_reminders")
    assert (sent["sent"], sent["duplicates"], sent["failed"]) == (6, 1, 0)
    with (EXAMPLES_FOLDER / "data" / "contract_reminders.csv").open() as source:
        expected = {row["email"].lower() for row in csv.DictReader(source)}
    assert {email["to_address"].lower() for email in e2e_sandbox.legitmailer_sent()} == expected


def test_the_triggerer_restarts_with_a_new_process_and_heartbeat(stack: AirflowStack) -> None:
    before = stack.processes["triggerer"].pid
    health = stack.health()
    assert health is not None
    last_beat = parse_time(health["triggerer"]["latest_triggerer_heartbeat"])  # type: ignore[index]
    stack.restart("triggerer")
    assert stack.running("triggerer") and stack.processes["triggerer"].pid != before
    health = stack.health()
    assert health is not None and health["triggerer"]["status"] == "healthy"  # type: ignore[index]
    new_beat = parse_time(health["triggerer"]["latest_triggerer_heartbeat"])  # type: ignore[index]
    assert last_beat is not None and new_beat is not None and new_beat > last_beat


def test_both_connection_types_offer_their_form_fields(api: AirflowApi) -> None:
    types = api.connection_types()
    legallymail, legitmailer = types["legallymail"], types["legitmailer"]
    assert legallymail["hook_class_name"] == "airflow_provider_legallymail.hooks.legallymail.LegallyMailHook"
    assert legitmailer["hook_class_name"] == "airflow_provider_legallymail.hooks.legitmailer.LegitmailerHook"
    assert set(legallymail["extra_fields"]) == COMMON_FIELDS | {"token_in_body", "max_recipients", "settle_seconds"}
    assert set(legitmailer["extra_fields"]) == COMMON_FIELDS
    timeout = legallymail["extra_fields"]["timeout"]
    assert timeout["schema"]["default"] == 30 and timeout["schema"]["title"] == "Request timeout (seconds)"
    for meta, placeholder in ((legallymail, "https://legallymail.com"), (legitmailer, "https://app.legitmailer.com")):
        host, token = meta["standard_fields"]["host"], meta["standard_fields"]["password"]
        assert (host["title"], host["placeholder"], token["title"]) == ("API base URL", placeholder, "API token")
        assert meta["standard_fields"]["login"]["hidden"] is True


def test_test_connection_from_the_api_tells_a_good_token_from_a_bad_one(
    api: AirflowApi, e2e_sandbox: SandboxServer
) -> None:
    good = {
        "connection_id": "lm_checked",
        "conn_type": "legallymail",
        "host": e2e_sandbox.legallymail_url,
        "password": e2e_sandbox.legallymail_token,
    }
    ok, message = api.test_connection(good)
    assert ok, message
    refused, why = api.test_connection({**good, "password": "not-the-token"})
    assert not refused and "401" in why
    lt_ok, lt_message = api.test_connection(
        {
            "connection_id": "lt_checked",
            "conn_type": "legitmailer",
            "host": e2e_sandbox.legitmailer_url,
            "password": e2e_sandbox.legitmailer_token,
        }
    )
    assert lt_ok, lt_message
