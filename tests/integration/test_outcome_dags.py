"""Outcomes a DAG acts on, in real DAG runs against the sandbox: ``settled`` campaigns that tolerate bounces,
and failed waits whose outcome downstream tasks and callbacks read (``legallymail_outcome``) without a request."""

from __future__ import annotations

import json
from pathlib import Path

import airflow
import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.samples import sample_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, raised, run, states, xcom
from tests.integration.test_sensor_dags import SENSORS, fast  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("airflow_db", "connect", "fast")
AIRFLOW_3_1 = airflow.__version__.startswith("3.1.")
CAMPAIGN = ["ana@example.com", "bob+bounce@example.com", "carl@example.com", "dora@example.com", "eve@example.com"]
REPORT = """
        @task(trigger_rule="all_done")
        def report(ti=None):
            outcome = ti.xcom_pull(task_ids="{task}", key="legallymail_outcome")
            return {{"outcome": outcome["outcome"], "failed": outcome.get("failed"),
                     "failures": outcome["failures"], "reached": outcome["reached"]}}
"""
CALLBACK = """
        import json
        def record(context):
            exc = context.get("exception")  # Airflow 3.1.0 gives a failure callback no exception: read the XCom
            ti = context["ti"]
            result = getattr(exc, "result", None) or ti.xcom_pull(task_ids=ti.task_id, key="legallymail_outcome")
            with open("{path}", "w") as f:
                json.dump({{"type": type(exc).__name__ if exc else None, "result": result}}, f)
"""


def test_a_settled_campaign_tolerates_the_bounce_it_allows_and_a_strict_one_reports_it_downstream(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    called = tmp_path / "callback.json"
    dag = load_dag(
        "settled_campaign",
        SENSORS
        + CALLBACK.format(path=called)
        + REPORT.format(task="strict")
        + f"""
        kw = dict(poke_interval=0.2, timeout=120, target="settled")
        with DAG("settled_campaign", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", recipients={CAMPAIGN!r}, subject="Notice",
                                               html="<p>x</p>")
            email >> CertifiedEmailSensor(task_id="tolerant", tracking_id=email.output, max_failures=1, **kw)
            email >> CertifiedEmailSensor(task_id="rescheduled", tracking_id=email.output, deferrable=False,
                                          min_reached=0.8, **kw)
            strict = CertifiedEmailSensor(task_id="strict", tracking_id=email.output, max_failures=0,
                                          on_failure_callback=record, **kw)
            email >> strict >> report()
            SendCertifiedEmailOperator(task_id="send_and_settle", recipients={CAMPAIGN!r}, subject="Notice",
                                       html="<p>x</p>", wait_for="settled", wait_max_failures=1)
        """,
    )
    dag_run = run(dag)
    result = states(dag_run)
    assert result["tolerant"] == result["rescheduled"] == result["send_and_settle"] == ("success", 1)
    assert result["strict"] == ("failed", 1) and result["report"] == ("success", 1)
    for task, outcome in (
        ("tolerant", xcom(dag_run, "tolerant")),
        ("rescheduled", xcom(dag_run, "rescheduled")),
        ("send_and_settle", xcom(dag_run, "send_and_settle")["wait"]),
    ):
        assert outcome["outcome"] == "reached", task
        assert [f["who"] for f in outcome["failures"]] == ["bob+bounce@example.com"], task
        assert sorted(outcome["reached"]) == sorted(set(CAMPAIGN) - {"bob+bounce@example.com"}), task
        assert xcom(dag_run, task, key="legallymail_outcome") == outcome, task  # the same value, under one key
    report = xcom(dag_run, "report")  # read from XCom by a downstream task: no request of its own
    assert report["outcome"] == "failed" and report["failed"]["status"] == "bounced"
    assert report["failures"][0]["who"] == "bob+bounce@example.com" and "Hard Bounce" in report["failures"][0]["reason"]
    callback = json.loads(called.read_text())
    assert callback["type"] in ("OutcomeFailedError", None if AIRFLOW_3_1 else "OutcomeFailedError")
    assert callback["result"]["failed"]["status"] == "bounced"
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/send")) == 2  # each send once


def test_a_declined_and_an_expired_signature_are_told_apart_downstream(
    sandbox: SandboxServer, lm_hook: LegallyMailHook, tmp_path: Path
) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(sample_pdf())
    expired = lm_hook.post_signature(
        lm_hook.signature_payload(str(pdf), None, [{"name": "Zed", "email": "zed+nosign@example.com"}])
    )
    sandbox.advance(8 * 86400)  # a week passes: the request expires unsigned
    dag = load_dag(
        "signature_outcomes",
        SENSORS
        + f"""
        @task(trigger_rule="all_done")
        def tell_apart(ti=None):
            return {{task: ti.xcom_pull(task_ids=task, key="legallymail_outcome")["failed"]["status"]
                     for task in ("declined", "expired", "sign_and_wait")}}

        with DAG("signature_outcomes", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            sign = SignatureRequestOperator(task_id="sign", document="{pdf}",
                                            signers=[{{"name": "Eve", "email": "eve+decline@example.com"}}])
            waits = [
                SignatureSensor(task_id="declined", uuid=sign.output, poke_interval=0.2, timeout=120),
                SignatureSensor(task_id="expired", uuid="{expired.uuid}", poke_interval=0.2, timeout=120),
            ]
            sign >> waits[0]
            waits.append(SignatureRequestOperator(task_id="sign_and_wait", document="{pdf}", wait_for="signed",
                                                  signers=[{{"name": "Ivo", "email": "ivo+decline@example.com"}}]))
            waits >> tell_apart()
        """,
    )
    dag_run = run(dag)
    result = states(dag_run)
    assert result["declined"] == result["expired"] == result["sign_and_wait"] == ("failed", 1)
    told = {"declined": "declined", "expired": "expired", "sign_and_wait": "declined"}
    assert xcom(dag_run, "tell_apart") == told  # wait_for= pushes its outcome on failure too
    declined = xcom(dag_run, "declined", key="legallymail_outcome")
    assert (
        declined["signers"][0]["outcome"] == "declined"
        and "declined to sign" in declined["signers"][0]["outcome_reason"]
    )


def test_a_wait_that_reaches_its_deadline_records_who_was_pending_in_either_mode(
    sandbox: SandboxServer, capfd: pytest.CaptureFixture[str]
) -> None:
    dag = load_dag(
        "outcome_timeout",
        SENSORS
        + """
        @task(trigger_rule="all_done")
        def pending(ti=None):
            return {task: ti.xcom_pull(task_ids=task, key="legallymail_outcome") for task in ("deferred", "poked")}

        with DAG("outcome_timeout", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            email = SendCertifiedEmailOperator(task_id="email", subject="S", html="<p>x</p>",
                                               recipients=["ana@example.com", "zoe+noread@example.com"])
            waits = [CertifiedEmailSensor(task_id=task, tracking_id=email.output, target="read", deferrable=deferrable,
                                          poke_interval=0.2, timeout=2)
                     for task, deferrable in (("deferred", True), ("poked", False))]
            email >> waits >> pending()
        """,
    )
    dag_run = run(dag)
    result = states(dag_run)
    assert result["deferred"] == result["poked"] == ("failed", 1)
    for task, outcome in xcom(dag_run, "pending").items():
        assert outcome is not None, f"{task} recorded no outcome; the run raised {raised(capfd.readouterr().out)}"
        assert outcome["outcome"] == "timeout", task
        assert outcome["pending"] == ["zoe+noread@example.com"] and outcome["reached"] == ["ana@example.com"], task
