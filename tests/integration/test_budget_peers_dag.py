"""The hosts sharing a request budget announce each other through a real Airflow Variable, from a task."""

from __future__ import annotations

import json

import pytest

from airflow_provider_legallymail.client.peers import variable_key
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_a_task_announces_its_host_in_the_variable_and_counts_the_others_there() -> None:
    key = variable_key("https://legallymail.example:443")
    dag = load_dag(
        "budget_peers",
        f"""
        @task
        def announce():
            import json, time
            from airflow.sdk import Variable
            from airflow_provider_legallymail.client.peers import Peers, VariableBoard

            Variable.set({key!r}, json.dumps({{"other-host": time.time(), "gone-host": time.time() - 3600}}))
            peers = Peers(VariableBoard({key!r}), 60.0, 6.0, time.time)
            return {{"hosts": peers.hosts("this-host"), "failed": peers.failed,
                     "board": json.loads(Variable.get({key!r}))}}

        with DAG("budget_peers", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            announce()
        """,
    )
    dag_run = run(dag)
    assert states(dag_run)["announce"][0] == "success"
    seen = xcom(dag_run, "announce")
    assert seen["failed"] is False
    assert seen["hosts"] == {"other-host": False, "this-host": False}  # the stale one dropped; both send
    assert sorted(seen["board"]) == ["other-host", "this-host"]
    from airflow.models.variable import Variable

    assert sorted(json.loads(Variable.get(key))) == ["other-host", "this-host"]  # kept in the metadata database
