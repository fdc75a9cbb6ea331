"""Sensors and ``wait_for=`` in real DAG runs (``dag.test()`` runs deferred triggers inline) against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
SENSORS = """
        from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor, SmsSensor
"""


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


def test_each_sensor_in_either_mode_returns_the_outcome_and_links_its_evidence(
    sandbox: SandboxServer, pdf: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY

    dag = load_dag(
        "sensors_reach",
        SENSORS
        + f"""
        with DAG("sensors_reach", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", recipients=["ana@example.com", "bob@example.com"],
                                               subject="Contract", html="<p>x</p>")
            sign = SignatureRequestOperator(task_id="sign", document="{pdf}",
                                            signers=[{{"name": "Ana", "email": "ana@example.com"}}])
            sms = SmsOperator(task_id="sms", phone="+34600000001", message="Signed?")
            for deferrable in (True, False):
                suffix = "deferred" if deferrable else "rescheduled"
                kw = dict(deferrable=deferrable, poke_interval=0.2, timeout=120)
                email >> CertifiedEmailSensor(task_id="read_" + suffix, tracking_id=email.output, **kw)
                sign >> SignatureSensor(task_id="signed_" + suffix, uuid=sign.output, **kw)
                sms >> SmsSensor(task_id="sms_" + suffix, uuid="{{{{ ti.xcom_pull('sms')['uuid'] }}}}", **kw)
        """,
    )
    dag_run = run(dag)
    captured = capfd.readouterr()
    assert "XCom not found" not in captured.out + captured.err  # deferring, a sensor has no link to look up
    assert set(states(dag_run).values()) == {("success", 1)}
    for suffix in ("deferred", "rescheduled"):
        read = xcom(dag_run, f"read_{suffix}")
        assert read["outcome"] == "reached" and read["target"] == "read"
        assert {r["who"]: r["status"] for r in read["recipients"]} == {
            "ana@example.com": "read",
            "bob@example.com": "read",
        }
        assert all(any(c["type"] == "read" and c["url"] for c in r["certificates"]) for r in read["recipients"])
        signed = xcom(dag_run, f"signed_{suffix}")
        assert signed["signers"][0]["status"] == "signed" and next(iter(signed["documents"].values()))["acta"]
        assert xcom(dag_run, f"sms_{suffix}")["recipients"][0]["status"] == "delivered"

    for sensor in ("read", "signed", "sms"):
        assert [link.name for link in dag.get_task(f"{sensor}_deferred").operator_extra_links][:2] == [
            "Evidence 1",
            "Evidence 2",
        ]
    for suffix in ("deferred", "rescheduled"):
        read = xcom(dag_run, f"read_{suffix}")
        links = xcom(dag_run, f"read_{suffix}", key=EVIDENCE_LINKS_XCOM_KEY)
        certificates = [c["url"] for r in read["recipients"] for c in r["certificates"]]
        assert [link["url"] for link in links] == certificates  # each certificate the sensor saw, in order
        assert xcom(dag_run, f"read_{suffix}", key="_link_EvidenceLink_0") == certificates[0]  # as the UI shows
        assert any(link["label"].startswith("bob@example.com: read certificate") for link in links)
        signed = xcom(dag_run, f"signed_{suffix}")
        documents = next(iter(signed["documents"].values()))
        links = xcom(dag_run, f"signed_{suffix}", key=EVIDENCE_LINKS_XCOM_KEY)
        assert {link["url"] for link in links} == {documents["original"], documents["acta"]}
        assert any(link["label"].startswith("Audit trail (acta)") for link in links)
        sms_links = xcom(dag_run, f"sms_{suffix}", key=EVIDENCE_LINKS_XCOM_KEY)
        sms_result = xcom(dag_run, f"sms_{suffix}")
        assert [link["url"] for link in sms_links] == [c["url"] for c in sms_result["recipients"][0]["certificates"]]
        for key in ("read", "signed", "sms"):
            assert sandbox.legallymail_token not in str(xcom(dag_run, f"{key}_{suffix}", key=EVIDENCE_LINKS_XCOM_KEY))


def test_failures_fail_at_once_even_with_soft_fail_and_only_a_timeout_skips(sandbox: SandboxServer, pdf: Path) -> None:
    dag = load_dag(
        "sensors_fail",
        SENSORS
        + f"""
        from datetime import timedelta
        args = dict(retries=2, retry_delay=timedelta(0), soft_fail=True, poke_interval=0.2, timeout=120)
        with DAG("sensors_fail", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", subject="Contract", html="<p>x</p>",
                                               recipients=["ana@example.com", "bob+bounce@example.com"])
            sign = SignatureRequestOperator(task_id="sign", document="{pdf}",
                                            signers=[{{"name": "Eve", "email": "eve+decline@example.com"}}])
            sms = SmsOperator(task_id="sms", phone="+34600000999", message="x")
            quiet = SendCertifiedEmailOperator(task_id="quiet", recipients=["zoe+noread@example.com"],
                                               subject="S", html="<p>x</p>")
            email >> CertifiedEmailSensor(task_id="bounced", tracking_id=email.output, **args)
            sign >> SignatureSensor(task_id="declined", uuid=sign.output, deferrable=False, **args)
            sms >> SmsSensor(task_id="sms_failed", uuid=sms.output, **args)
            quiet >> CertifiedEmailSensor(task_id="skipped", tracking_id=quiet.output,
                                          **{{**args, "timeout": 1}})
            quiet >> CertifiedEmailSensor(task_id="timed_out", tracking_id=quiet.output,
                                          **{{**args, "timeout": 1, "soft_fail": False}})
            email >> CertifiedEmailSensor(task_id="stranger", tracking_id=email.output,
                                          recipients=["carl@example.com"], **args)
        """,
    )
    result = states(run(dag))
    for task in ("bounced", "declined", "sms_failed", "timed_out", "stranger"):
        assert result[task] == ("failed", 1), task  # failed at the first try: no retry, no skip
    assert result["skipped"] == ("skipped", 1)


def test_wait_for_on_each_sending_operator_sends_once_and_returns_the_outcome(
    sandbox: SandboxServer, pdf: Path
) -> None:
    dag = load_dag(
        "send_and_wait",
        f"""
        with DAG("send_and_wait", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SendCertifiedEmailOperator(task_id="email", recipients=["ana@example.com", "bob+noread@example.com"],
                                       subject="Contract", html="<p>x</p>", wait_for="read",
                                       wait_recipients=["ana@example.com"])
            SignatureRequestOperator(task_id="sign", document="{pdf}", wait_for="signed",
                                     signers=[{{"name": "Ana", "email": "ana@example.com"}}])
            SmsOperator(task_id="sms", phone="+34600000001", message="x", wait_for="delivered")
        """,
    )
    dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    email = xcom(dag_run, "email")
    assert email["tracking_ids"].keys() == {"ana@example.com", "bob+noread@example.com"}  # the send summary
    assert email["wait"]["outcome"] == "reached"
    assert [r["who"] for r in email["wait"]["recipients"]] == ["ana@example.com"]
    assert xcom(dag_run, "sign")["wait"]["signers"][0]["status"] == "signed"
    assert xcom(dag_run, "sms")["wait"]["recipients"][0]["status"] == "delivered"
    for path in ("/api/send", "/api/signature/send", "/api/sms/send"):
        assert len(sandbox.received(api="legallymail", method="POST", path=path)) == 1
