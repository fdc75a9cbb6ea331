"""The LegallyMail operators and notifiers in real DAG runs against the sandbox over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.statuses import EmailStatus
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")


def test_three_operators_with_inputs_from_xcom_mapping_and_links(sandbox: SandboxServer, tmp_path: Path) -> None:
    pdf = tmp_path / "agreement.pdf"
    pdf.write_bytes(render_pdf("Agreement", ["ACME and Ana"]))
    dag = load_dag(
        "live_operators",
        f"""
        with DAG("live_operators", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            @task
            def parties():
                return {{"emails": ["ana@example.com", "bob@example.com"],
                        "signers": [{{"name": "Ana", "email": "ana@example.com", "phone": "+34600000001"}}]}}

            p = parties()
            SendCertifiedEmailOperator(task_id="email", recipients="{{{{ ti.xcom_pull('parties')['emails'] }}}}",
                                       subject="Agreement {{{{ ds }}}}", html="<p>Attached.</p>",
                                       attachments=["{pdf}"])
            SignatureRequestOperator(task_id="sign", document="file://{pdf}",
                                     signers="{{{{ ti.xcom_pull('parties')['signers'] | tojson }}}}")
            SmsOperator.partial(task_id="sms", message="Agreement sent").expand(
                phone=["+34600000001", "+34600000002"])
            p >> dag.task_dict["email"]
            p >> dag.task_dict["sign"]
        """,
    )
    dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    hook = LegallyMailHook()

    email = xcom(dag_run, "email")
    detail = hook.get_email(email["parent_tracking_ids"][0])
    assert {r.email for r in detail.recipients} == {"ana@example.com", "bob@example.com"}
    assert email["tracking_ids"] == {r.email: r.tracking_id for r in detail.recipients}
    sent = sandbox.received(api="legallymail", method="POST", path="/api/send")[0]["json"]
    assert sent["attachments"][0]["filename"] == "agreement.pdf"

    sign = xcom(dag_run, "sign")
    request = hook.get_signature(sign["uuid"])
    assert request.signers[0].signer_phone == "+34600000001"
    original_link = xcom(dag_run, "sign", "_link_SignatureDocumentLink")
    assert original_link == request.download_original_url
    assert hook.download(original_link) == pdf.read_bytes()
    assert xcom(dag_run, "sign", "_link_LegallyMailDashboardLink") == f"{sandbox.legallymail_url}/dashboard"

    uuids = {xcom(dag_run, "sms", map_index=i)["uuid"] for i in (0, 1)}
    assert {hook.get_sms(u).recipient for u in uuids} == {"+34600000001", "+34600000002"}

    sandbox.advance(30)
    assert {r.status for r in hook.get_email(detail.tracking_id).recipients} == {EmailStatus.READ}


def test_notifier_fired_twice_sends_one_sms(sandbox: SandboxServer) -> None:
    from types import SimpleNamespace

    from airflow_provider_legallymail.notifications.legallymail import LegallyMailSmsNotifier

    notifier = LegallyMailSmsNotifier(phone="+34600000009", message="{{ ti.task_id }} failed")
    ti = SimpleNamespace(task_id="load", map_index=-1, try_number=1)
    context: Any = {"ti": ti, "dag_run": SimpleNamespace(dag_id="etl", run_id="r1", start_date=None)}
    notifier(context)
    notifier(dict(context))
    sent = sandbox.received(api="legallymail", method="POST", path="/api/sms/send")
    assert [r["json"]["message"] for r in sent] == ["load failed"]
