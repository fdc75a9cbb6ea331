"""Task logs of real DAG runs name no recipient's address or phone by default; ``log_addresses=True`` shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
RECIPIENTS = ["ana.garcia@example.com", "bob.smith@example.com", "carl+fail@example.com"]
PHONE = "+34600123456"
ADDRESS = re.compile(r"[\w.+-]+@example\.com")


def dag_body(dag_id: str, pdf: Path, show: bool) -> str:
    return f"""
        from airflow_provider_legallymail.operators.legitmailer import LegitmailerSendEmailOperator
        kw = dict(log_addresses={show})
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SendCertifiedEmailOperator(task_id="email", recipients={RECIPIENTS!r}, subject="Notice",
                                       html="<p>x</p>", wait_for="delivered", wait_recipients="any", **kw)
            SendCertifiedEmailOperator(task_id="one_each", recipients={RECIPIENTS[:2]!r}, subject="Notice",
                                       html="<p>x</p>", one_email_per_recipient=True, **kw)
            SignatureRequestOperator(task_id="sign", document="{pdf}", wait_for="signed",
                                     signers=[{{"name": "Ana", "email": "{RECIPIENTS[0]}"}}], **kw)
            SmsOperator(task_id="sms", phone="{PHONE}", message="x", wait_for="delivered", **kw)
            LegitmailerSendEmailOperator(task_id="mail", to_address="{RECIPIENTS[1]}",
                                         from_address="noreply@sender.test", subject="Hi", body="<p>x</p>", **kw)
    """


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


def test_by_default_task_logs_hold_no_address_only_masked_forms(pdf: Path, capfd: pytest.CaptureFixture[str]) -> None:
    dag_run = run(load_dag("addresses_hidden", dag_body("addresses_hidden", pdf, show=False)))
    logs = "".join(capfd.readouterr())
    assert set(states(dag_run).values()) == {("success", 1)}, states(dag_run)
    assert ADDRESS.findall(logs) == [] and PHONE not in logs
    assert "c***@example.com" in logs  # the refused recipient, masked
    assert "+34*******56" in logs


def test_with_log_addresses_the_logs_name_recipients(pdf: Path, capfd: pytest.CaptureFixture[str]) -> None:
    dag_run = run(load_dag("addresses_shown", dag_body("addresses_shown", pdf, show=True)))
    logs = "".join(capfd.readouterr())
    assert set(states(dag_run).values()) == {("success", 1)}, states(dag_run)
    assert set(RECIPIENTS) <= set(ADDRESS.findall(logs)) and PHONE in logs


def failing_wait(dag_id: str, show: bool) -> str:
    return f"""
        from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            sent = SendCertifiedEmailOperator(task_id="email", recipients=["dora+bounce@example.com"],
                                              subject="Notice", html="<p>x</p>", log_addresses={show})
            CertifiedEmailSensor(task_id="wait", tracking_id=sent.output, target="delivered",
                                 recipients=["dora+bounce@example.com"], log_addresses={show})
    """


@pytest.mark.parametrize("show", [False, True])
def test_a_failed_wait_names_the_party_as_the_rule_says(show: bool, capfd: pytest.CaptureFixture[str]) -> None:
    dag_id = f"failed_wait_{'shown' if show else 'hidden'}"
    dag_run = run(load_dag(dag_id, failing_wait(dag_id, show)))
    logs = "".join(capfd.readouterr())
    assert states(dag_run)["wait"][0] == "failed"
    assert "bounced" in logs
    if show:
        assert "dora+bounce@example.com" in logs
    else:
        assert ADDRESS.findall(logs) == [] and "d***@example.com" in logs
