"""The three LegallyMail operators run through Airflow (dag.test()) against requests-mock."""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm

from tests import api_examples as ex
from tests.conftest import LM_URL
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "lm_conn")


def multi_answer(request: Any, context: Any) -> dict[str, Any]:
    """A multi-recipient answer echoing the addresses that were posted."""
    addresses = [a.strip() for a in request.json()["recipient"].split(",")]
    n = len(addresses)
    parent = f"cm_parent_{abs(hash(tuple(addresses))) % 10**6}"
    return {
        "success": True,
        "data": {
            "tracking_id": parent,
            "recipients": [
                {"email": a, "status": "sent", "tracking_id": f"cm_{a.split('@')[0]}", "error_details": None}
                for a in addresses
            ],
            "subject": request.json()["subject"],
            "sent_at": "2024-01-15 10:30:00",
            "success_count": n,
            "fail_count": 0,
            "error_status": None,
        },
    }


def test_email_from_xcom_recipients_and_a_template_file() -> None:
    dag = load_dag(
        "email_happy",
        """
        with DAG("email_happy", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            @task
            def who():
                return ["ana@example.com", "bob@example.com"]

            SendCertifiedEmailOperator(
                task_id="send",
                recipients=who(),
                subject="Contract for {{ dag_run.conf['customer'] }}",
                html="letter.html.j2",
            )
        """,
        files={"letter.html.j2": "<p>Dear {{ dag_run.conf['customer'] }}, run {{ run_id }}</p>"},
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=multi_answer)
        dag_run = run(dag, customer="ACME")
    assert states(dag_run)["send"] == ("success", 1)
    body = m.request_history[0].json()
    assert body["recipient"] == "ana@example.com, bob@example.com"
    assert body["subject"] == "Contract for ACME"
    assert body["message"].startswith("<p>Dear ACME, run ")
    summary = xcom(dag_run, "send")
    assert summary["tracking_ids"] == {"ana@example.com": "cm_ana", "bob@example.com": "cm_bob"}
    assert summary["status"] == "sent"
    assert summary["sends"][0]["adopted"] is False
    assert xcom(dag_run, "send", "legallymail_sends")[0]["tracking_id"] == summary["parent_tracking_ids"][0]
    assert xcom(dag_run, "send", "_link_LegallyMailDashboardLink") == f"{LM_URL}/dashboard"


def test_more_recipients_than_the_limit_are_split_into_sends() -> None:
    recipients = [f"r{i}@example.com" for i in range(23)]
    dag = load_dag(
        "email_split",
        f"""
        with DAG("email_split", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients={", ".join(recipients)!r}, subject="s", html="h")
        """,
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=multi_answer)
        dag_run = run(dag)
    sizes = [len(r.json()["recipient"].split(",")) for r in m.request_history]
    assert sizes == [10, 10, 3]
    summary = xcom(dag_run, "send")
    assert len(summary["parent_tracking_ids"]) == 3
    assert len(set(summary["parent_tracking_ids"])) == 3
    assert sorted(summary["tracking_ids"]) == sorted(recipients)


def test_sms_and_signature_under_dynamic_task_mapping(tmp_path: Any) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.4\ncontract\n%%EOF")
    dag = load_dag(
        "mapped",
        f"""
        with DAG("mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SmsOperator.partial(task_id="sms", message="Your code is {{{{ ti.map_index }}}}").expand(
                phone=["+34600000001", "+34600000002"]
            )
            SignatureRequestOperator.partial(task_id="sign", document="file://{pdf}").expand(
                signers=[
                    [{{"name": "Ana", "email": "ana@example.com"}}],
                    [{{"name": "Bob", "email": "bob@example.com"}}],
                ]
            )
        """,
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", json=ex.LM_SMS_SEND)
        m.post(f"{LM_URL}/api/signature/send", json=ex.LM_SIGNATURE_SEND)
        m.get(f"{LM_URL}/api/signature", json=ex.LM_SIGNATURE)
        dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    sms_bodies = sorted(
        (r.json()["phone"], r.json()["message"]) for r in m.request_history if r.path == "/api/sms/send"
    )
    assert sms_bodies == [("+34600000001", "Your code is 0"), ("+34600000002", "Your code is 1")]
    signers = sorted(r.json()["signer_email"] for r in m.request_history if r.path == "/api/signature/send")
    assert signers == ["ana@example.com", "bob@example.com"]
    assert xcom(dag_run, "sms", map_index=1)["uuid"] == "..."
    sign = xcom(dag_run, "sign", map_index=0)
    assert sign["uuid"] == "550e8400-e29b-41d4-a716-446655440000"
    assert sign["document_name"] == "Contract.pdf"
    link = xcom(dag_run, "sign", "_link_SignatureDocumentLink", map_index=0)
    assert link == ex.LM_SIGNATURE["data"]["download_original_url"]


def test_a_successful_send_logs_what_went_out_and_the_ids(capfd: pytest.CaptureFixture[str]) -> None:
    recipients = [f"r{i}@example.com" for i in range(11)]
    dag = load_dag(
        "email_logs",
        f"""
        with DAG("email_logs", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients={recipients!r}, subject="Notice", html="<p>x</p>")
            SmsOperator(task_id="sms", phone="+34600000000", message="hello")
        """,
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=multi_answer)
        m.post(f"{LM_URL}/api/sms/send", json=ex.LM_SMS_SEND)
        dag_run = run(dag)
    captured = capfd.readouterr()
    log = captured.out + captured.err
    parents = xcom(dag_run, "send")["parent_tracking_ids"]
    assert len(parents) == 2
    for parent, size in zip(parents, (10, 1), strict=True):
        assert f"Certified email 'Notice' to {size} recipient(s): tracking id {parent}, status sent" in log
    assert f"11 recipient(s) went out as 2 certified emails (max_recipients=10): {', '.join(parents)}" in log
    assert "Certified SMS to +34*******00: uuid ..., status sent, 1 credit(s)" in log  # masked by default
    assert "XCom not found" not in log
