"""The hooks page: its @task examples run against the sandbox and do what the page says, checks included."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom
from tests.integration.conftest import Connect

pytestmark = pytest.mark.usefixtures("airflow_db")

LM_TASKS = ("remaining_emails", "send_notice", "statuses")


def test_a_task_reads_the_account_sends_once_and_reads_each_recipients_status(
    sandbox: SandboxServer, connect: Connect
) -> None:
    dag_run = run(load_snippet("hooks_legallymail"))
    assert states(dag_run) == {task: ("success", 1) for task in LM_TASKS}
    assert xcom(dag_run, "remaining_emails") == 100
    (email,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "send_notice") == email.tracking_id
    assert xcom(dag_run, "statuses") == {"ana@example.com": "sent", "legal@example.com": "sent"}
    (sent,) = sandbox.certified_sent()
    assert sent["subject"] == "Contract renewal"


def test_the_tasks_own_check_stops_the_send_when_credits_are_short(sandbox: SandboxServer, connect: Connect) -> None:
    sandbox.set_credits(emails=1)
    dag_run = run(load_snippet("hooks_legallymail"))
    assert states(dag_run)["send_notice"] == ("failed", 1)
    assert sandbox.received(api="legallymail", method="POST") == []


def test_a_bad_address_fails_before_any_request_naming_the_field(
    sandbox: SandboxServer, connect: Connect, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("hooks_legallymail", {'"ana@example.com", ': '"ana@example", '}))
    assert states(dag_run)["send_notice"] == ("failed", 1)
    assert sandbox.received(api="legallymail", method="POST") == []
    captured = capfd.readouterr()
    assert "ValidationError" in captured.out + captured.err and "recipients" in captured.out + captured.err


def test_a_task_checks_the_template_tokens_finds_the_contact_and_sends(
    sandbox: SandboxServer, connect: Connect
) -> None:
    hook = LegitmailerHook()
    customers = next(c.contact_list_id for c in hook.list_contact_lists() if c.name == "customers")
    hook.add_contact(customers, "C-1001", "ana.garcia@example.com", {"name": "Ana García", "plan": "pro"})
    dag_run = run(load_snippet("hooks_legitmailer"))
    assert set(states(dag_run).values()) == {("success", 1)}
    assert xcom(dag_run, "template_tokens") == ["name"]
    assert xcom(dag_run, "contact_email") == "ana.garcia@example.com"
    (sent,) = sandbox.legitmailer_sent()
    assert sent["to_address"] == "ana.garcia@example.com" and "Hi Ana, welcome aboard!" in sent["body"]
    assert xcom(dag_run, "send_welcome") == sent["tracking_id"]


def test_a_missing_contact_is_a_404_the_task_turns_into_none(sandbox: SandboxServer, connect: Connect) -> None:
    dag_run = run(load_snippet("hooks_legitmailer"))
    assert set(states(dag_run).values()) == {("success", 1)}
    assert xcom(dag_run, "contact_email") is None and xcom(dag_run, "send_welcome") is None
    assert sandbox.legitmailer_sent() == []
