"""The sensor pages' DAGs (docs/snippets/sensor_*.py) run as printed against a sped-up sandbox; the replacements
stand in for a reader's own values (a real PDF, a sandbox address that bounces or declines, a shorter wait)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect", "sped_up")
CUSTOMERS = ["ana@example.com", "bob@example.com", "carl@example.com", "dora@example.com", "eve@example.com"]


def test_the_read_sensor_returns_every_recipient_with_its_read_certificate(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("sensor_certified_email"))
    assert set(states(dag_run).values()) == {("success", 1)}
    outcome = xcom(dag_run, "read")
    assert outcome["outcome"] == "reached" and outcome["target"] == "read"
    assert {r["who"]: r["status"] for r in outcome["recipients"]} == {
        "ana@example.com": "read",
        "bob@example.com": "read",
    }
    assert all(any(c["type"] == "read" and c["url"] for c in r["certificates"]) for r in outcome["recipients"])
    assert xcom(dag_run, "read", key="legallymail_outcome") == outcome  # the same value under the outcome key
    assert sorted(xcom(dag_run, "read_by")) == ["ana@example.com", "bob@example.com"]
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/send")) == 1


def test_soft_fail_skips_at_the_deadline_and_records_who_was_pending() -> None:
    dag = load_snippet(
        "sensor_certified_email",
        {"bob@example.com": "bob+noread@example.com", "timeout=timedelta(days=3)": "timeout=timedelta(seconds=2)"},
    )
    dag_run = run(dag)
    assert states(dag_run)["read"] == ("skipped", 1) and states(dag_run)["read_by"][0] == "skipped"
    outcome = xcom(dag_run, "read", key="legallymail_outcome")
    assert outcome["outcome"] == "timeout"
    assert outcome["pending"] == ["bob+noread@example.com"] and outcome["reached"] == ["ana@example.com"]


def test_a_bounce_fails_the_read_sensor_at_once_despite_soft_fail_and_masks_the_address_in_the_log(
    capfd: pytest.CaptureFixture[str],
) -> None:
    dag_run = run(load_snippet("sensor_certified_email", {"bob@example.com": "bob+bounce@example.com"}))
    assert states(dag_run)["read"] == ("failed", 1)
    outcome = xcom(dag_run, "read", key="legallymail_outcome")
    assert outcome["failed"]["who"] == "bob+bounce@example.com" and outcome["failed"]["status"] == "bounced"
    captured = capfd.readouterr()
    log = captured.out + captured.err
    assert "b***@example.com bounced (Hard Bounce" in log  # log_addresses=False: masked in the task log


def test_a_settled_campaign_tolerates_one_bounce_and_the_report_lists_it() -> None:
    dag_run = run(load_snippet("sensor_settled", {"bob@example.com": "bob+bounce@example.com"}))
    assert set(states(dag_run).values()) == {("success", 1)}
    report = xcom(dag_run, "report")
    assert report["outcome"] == "reached" and report["pending"] == []
    assert sorted(report["delivered"]) == sorted(set(CUSTOMERS) - {"bob@example.com"})
    (why,) = report["undeliverable"].values()
    assert list(report["undeliverable"]) == ["bob+bounce@example.com"] and why.startswith("bounced (Hard Bounce")


def test_a_second_bounce_fails_the_settled_wait_and_the_report_still_runs() -> None:
    bounces = {"bob@example.com": "bob+bounce@example.com", "carl@example.com": "carl+bounce@example.com"}
    dag_run = run(load_snippet("sensor_settled", bounces))
    result = states(dag_run)
    assert result["notices_settled"] == ("failed", 1) and result["report"] == ("success", 1)
    report = xcom(dag_run, "report")
    assert report["outcome"] == "failed"
    assert sorted(report["undeliverable"]) == ["bob+bounce@example.com", "carl+bounce@example.com"]


def test_the_signature_sensor_waits_for_both_signers(pdf: Path) -> None:
    dag_run = run(load_snippet("sensor_signature", {"/path/to/contract.pdf": str(pdf)}))
    assert set(states(dag_run).values()) == {("success", 1)}
    outcome = xcom(dag_run, "signed")
    assert {s["who"]: s["status"] for s in outcome["signers"]} == {
        "ana@example.com": "signed",
        "bob@example.com": "signed",
    }
    (documents,) = outcome["documents"].values()
    assert documents["original"] and documents["acta"]
    assert xcom(dag_run, "next_step") == "signed by ana@example.com, bob@example.com"


def test_a_decline_fails_the_signature_sensor_and_the_next_step_names_it(pdf: Path) -> None:
    replace = {"/path/to/contract.pdf": str(pdf), "bob@example.com": "bob+decline@example.com"}
    dag_run = run(load_snippet("sensor_signature", replace))
    result = states(dag_run)
    assert result["signed"] == ("failed", 1) and result["next_step"] == ("success", 1)
    told = xcom(dag_run, "next_step")
    assert told.startswith("declined: ") and "bob+decline@example.com declined to sign at " in told


def test_the_sms_sensor_reaches_delivered_deferred_and_in_reschedule_mode(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("sensor_sms", {"poke_interval=30": "poke_interval=0.2"}))
    assert set(states(dag_run).values()) == {("success", 1)}
    for task_id in ("delivered", "delivered_without_triggerer"):
        (recipient,) = xcom(dag_run, task_id)["recipients"]
        assert recipient["status"] == "delivered" and recipient["certificates"], task_id
        assert recipient["who"] == "+34600000001" and recipient["outcome"] == "reached", task_id
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/sms/send")) == 1


def test_a_failed_sms_fails_both_sensors_at_the_first_try_despite_retries(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("sensor_sms", {"poke_interval=30": "poke_interval=0.2", "+34600000001": "+34600000999"}))
    result = states(dag_run)
    assert result["delivered"] == result["delivered_without_triggerer"] == ("failed", 1)
    assert xcom(dag_run, "delivered", key="legallymail_outcome")["failed"]["status"] == "failed"
    assert len(sandbox.received(api="legallymail", method="POST", path="/api/sms/send")) == 1


def test_a_bad_tolerance_fails_when_the_dag_is_parsed_naming_the_field_and_the_limit(sandbox: SandboxServer) -> None:
    from airflow_provider_legallymail.exceptions import ValidationError

    with pytest.raises(ValidationError, match="max_failures: -1 is below the limit 0"):
        load_snippet("sensor_settled", {"max_failures=1,": "max_failures=-1,"})
    with pytest.raises(ValidationError, match=r"min_reached: 80 is outside 0\.\.1"):
        load_snippet("sensor_settled", {"min_reached=0.8,": "min_reached=80,"})
    assert sandbox.received(api="legallymail") == []  # nothing was asked of the API
