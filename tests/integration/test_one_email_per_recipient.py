"""``SendCertifiedEmailOperator(one_email_per_recipient=True)`` in real DAG runs against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
CUSTOMERS = ["ana@example.com", "bob@example.com", "carla@example.com"]


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


def test_each_recipient_gets_its_own_email_once_across_a_retry_and_the_sensor_waits_on_them_all(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SendCertifiedEmailOperator.summary_line
    failures: list[int] = []

    def lost_once(self: Any, results: list[dict[str, Any]]) -> str | None:
        if not failures:  # every email went out; the worker is lost before the task ends
            failures.append(len(results))
            raise SystemExit("worker lost")
        return real(self, results)

    monkeypatch.setattr(SendCertifiedEmailOperator, "summary_line", lost_once)
    dag = load_dag(
        "one_each",
        f"""
        from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor
        args = {{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}
        with DAG("one_each", schedule=None, start_date=pendulum.datetime(2024, 1, 1), default_args=args) as dag:
            send = SendCertifiedEmailOperator(task_id="send", recipients={CUSTOMERS!r}, subject="Notice",
                                              html="<p>x</p>", one_email_per_recipient=True)
            send >> CertifiedEmailSensor(task_id="read", tracking_id=send.output, poke_interval=0.2, timeout=120)
        """,
    )
    dag_run = run(dag)
    assert states(dag_run) == {"send": ("success", 2), "read": ("success", 1)}
    assert failures == [3]
    posts = sandbox.received(api="legallymail", method="POST", path="/api/send")
    assert sorted(r["json"]["recipient"] for r in posts) == CUSTOMERS  # one email each (no list), none twice
    summary = xcom(dag_run, "send")
    assert len(summary["parent_tracking_ids"]) == 3 and summary["tracking_ids"].keys() == set(CUSTOMERS)
    assert [s["adopted"] for s in summary["sends"]] == [True, True, True]  # the retry sent nothing
    read = xcom(dag_run, "read")
    assert {r["who"]: r["status"] for r in read["recipients"]} == dict.fromkeys(CUSTOMERS, "read")
