"""The examples of the SendCertifiedEmailOperator, SignatureRequestOperator and SmsOperator pages, run as a
reader would run them against the sandbox: what went out, what XCom holds, what the log says."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom
from tests.integration.test_exactly_once_dags import live, live_server

pytestmark = pytest.mark.usefixtures("airflow_db")
__all__ = ["live", "live_server"]


def posts(sandbox: SandboxServer, path: str) -> list[dict[str, object]]:
    return sandbox.received(api="legallymail", method="POST", path=path)


def logged(capfd: pytest.CaptureFixture[str]) -> str:
    """What the DAG run wrote to the terminal: the task logs of ``dag.test()``."""
    captured = capfd.readouterr()
    return captured.out + captured.err


# -- send-certified-email ------------------------------------------------------------------------------


def test_the_statement_goes_out_once_rendered_with_its_attachment(
    sandbox: SandboxServer, connect: None, tmp_path: Path
) -> None:
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(sandbox.sample_pdf())
    dag_run = run(load_snippet("certified_email_send", {"/path/to/statement.pdf": str(statement)}))
    assert states(dag_run) == {"send_statement": ("success", 1)}
    (email,) = sandbox.certified_sent()
    assert sorted(email["recipients"]) == ["accounts@example.com", "ana@example.com"]
    assert email["subject"] == f"Statement of account for {dag_run.logical_date.date().isoformat()}"
    assert email["message"] == "<p>Dear Ana García, your balance is 1,250.00 EUR.</p>"
    assert "statement.pdf" in str(email["attachments"])
    summary = xcom(dag_run, "send_statement")
    assert set(summary) == {"sends", "tracking_ids", "parent_tracking_ids", "status"}
    (detail,) = LegallyMailHook().list_emails()
    assert summary["parent_tracking_ids"] == [detail.tracking_id]
    assert set(summary["tracking_ids"]) == {"ana@example.com", "accounts@example.com"}
    assert summary["status"] == "sent" and summary["sends"][0]["adopted"] is False
    assert xcom(dag_run, "send_statement", "legallymail_sends")[0]["tracking_id"] == detail.tracking_id


def test_a_bad_address_fails_at_once_naming_the_field_and_sends_nothing(
    sandbox: SandboxServer, connect: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(sandbox.sample_pdf())
    replace = {"/path/to/statement.pdf": str(statement), '"ana@example.com"': '"ana.example.com"'}
    dag_run = run(load_snippet("certified_email_send", replace))
    assert states(dag_run) == {"send_statement": ("failed", 1)}  # no retry, whatever retries=2 says
    assert posts(sandbox, "/api/send") == []
    assert "recipients[0]: 'ana.example.com' is not a valid email address" in logged(capfd)


def test_twelve_recipients_from_xcom_go_out_as_two_emails(
    sandbox: SandboxServer, connect: None, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("certified_email_recipients"))
    assert states(dag_run)["notice_of_meeting"] == ("success", 1)
    sent = sandbox.certified_sent()
    assert [len(e["recipients"]) for e in sent] == [10, 2]
    summary = xcom(dag_run, "notice_of_meeting")
    assert len(summary["parent_tracking_ids"]) == 2 and len(summary["tracking_ids"]) == 12
    log = logged(capfd)
    assert "12 recipient(s) went out as 2 certified emails (max_recipients=10)" in log
    sent_lines = [line for line in log.splitlines() if "Certified email 'Notice of the general meeting'" in line]
    assert len(sent_lines) == 2 and "@example.com" not in " ".join(sent_lines)  # addresses not logged by default


def test_one_email_per_recipient_sends_three_single_recipient_emails(
    sandbox: SandboxServer, connect: None, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("certified_email_private"))
    assert states(dag_run)["price_change_notice"] == ("success", 1)
    assert sorted(e["recipients"] for e in sandbox.certified_sent()) == [
        ["ana@example.com"],
        ["bob@example.com"],
        ["carla@example.com"],
    ]
    summary = xcom(dag_run, "price_change_notice")
    assert len(summary["sends"]) == 3 and len(set(summary["parent_tracking_ids"])) == 3
    log = logged(capfd)
    assert "3 recipient(s) went out as 3 certified emails (max_recipients=1)" in log
    assert "bob@example.com" not in log


def test_wait_for_read_and_settled_end_in_the_sending_task(sped_up: SandboxServer, connect: None) -> None:
    dag_run = run(load_snippet("certified_email_wait"))
    assert states(dag_run) == {
        "notice": ("success", 1),
        "record_reading": ("success", 1),
        "tariff_notice": ("success", 1),
    }
    assert xcom(dag_run, "record_reading") == ["ana@example.com", "legal@example.com"]
    assert len(posts(sped_up, "/api/send")) == 2  # the wait sent nothing again
    settled = xcom(dag_run, "tariff_notice")["wait"]
    assert settled["outcome"] == "reached"
    assert sorted(settled["reached"]) == ["ana@example.com", "bob@example.com"]
    assert [(f["who"], f["status"]) for f in settled["failures"]] == [("old+bounce@example.com", "bounced")]
    assert xcom(dag_run, "tariff_notice", "legallymail_outcome")["outcome"] == "reached"


def test_a_retry_after_a_failed_post_sends_one_email(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", status=500, count=1)
    dag = load_snippet("certified_email_retries", {"minutes=1": "seconds=0"})
    dag_run = run(dag)
    assert states(dag_run)["notice"] == ("success", 2)
    (only,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "notice")["parent_tracking_ids"] == [only.tracking_id]


def test_a_lost_answer_is_adopted_not_sent_again(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
    dag_run = run(load_snippet("certified_email_retries", {"minutes=1": "seconds=0"}))
    assert states(dag_run)["notice"] == ("success", 1)
    assert len(posts(live, "/api/send")) == 1
    (only,) = LegallyMailHook().list_emails()
    summary = xcom(dag_run, "notice")
    assert summary["parent_tracking_ids"] == [only.tracking_id]
    assert summary["sends"][0]["adopted"] is True


# -- signature-request ---------------------------------------------------------------------------------


def test_the_contract_is_signed_and_filed_in_one_run(sped_up: SandboxServer, connect: None, pdf: Path) -> None:
    dag_run = run(load_snippet("signature_request", {"/path/to/contract.pdf": str(pdf)}))
    assert states(dag_run) == {"request_signature": ("success", 1), "file_contract": ("success", 1)}
    assert len(posts(sped_up, "/api/signature/send")) == 1
    (listed,) = LegallyMailHook().list_signatures()
    result = xcom(dag_run, "request_signature")
    assert result["uuid"] == listed.uuid == xcom(dag_run, "file_contract")
    assert result["document_name"] == "Contract 2026-014.pdf" and result["signer_email"] == "ana@example.com"
    assert [r["uuid"] for r in result["requests"]] == [listed.uuid]
    assert result["wait"]["target"] == "signed" and result["wait"]["outcome"] == "reached"
    detail = LegallyMailHook().get_signature(listed.uuid)
    assert detail.status.value == "signed"


def test_an_expired_request_is_sent_again_once_and_the_second_is_signed(
    sped_up: SandboxServer, connect: None, pdf: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.test_resend_on_expiry import Signer

    signer = Signer(sped_up, ["expire", "sign"])  # the first request expires unsigned, the second is signed
    signer.start()
    try:
        replace = {"/path/to/contract.pdf": str(pdf), '"ana@example.com"': '"ana+nosign@example.com"'}
        dag_run = run(load_snippet("signature_request", replace))
    finally:
        signer.stop.set()
        signer.join()
    assert states(dag_run) == {"request_signature": ("success", 1), "file_contract": ("success", 1)}
    assert len(posts(sped_up, "/api/signature/send")) == 2
    result = xcom(dag_run, "request_signature")
    assert [r["uuid"] for r in result["requests"]] == signer.seen
    assert xcom(dag_run, "file_contract") == signer.seen[1]
    assert f"Signature request {signer.seen[0]} expired unsigned: sending re-send 1 of 1" in logged(capfd)


def test_signers_from_xcom_and_a_document_from_object_storage(sandbox: SandboxServer, connect: None, pdf: Path) -> None:
    dag_run = run(load_snippet("signature_sources", {"file:///path/to/contract.pdf": f"file://{pdf}"}))
    assert states(dag_run)["request_signatures"] == ("success", 1)
    (listed,) = LegallyMailHook().list_signatures()
    detail = LegallyMailHook().get_signature(listed.uuid)
    assert detail.document_name == "contract.pdf"
    assert [s.signer_email for s in detail.signers] == ["ana@example.com", "bruno@example.com"]


def test_more_than_five_signers_fail_before_any_request(
    sandbox: SandboxServer, connect: None, pdf: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    six = repr([{"name": f"S{n}", "email": f"s{n}@example.com"} for n in range(6)])
    replace = {"/path/to/contract.pdf": str(pdf), "signers=[": f"signers={six} or ["}
    dag_run = run(load_snippet("signature_request", replace))
    assert states(dag_run)["request_signature"] == ("failed", 1)
    assert posts(sandbox, "/api/signature/send") == []
    assert "signers: 6 signers given; between 1 and 5 allowed" in logged(capfd)


# -- sms -----------------------------------------------------------------------------------------------


def test_the_sms_is_sent_once_and_waited_on_until_delivered(
    sped_up: SandboxServer, connect: None, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("sms_send"))
    assert states(dag_run) == {"notify_by_sms": ("success", 1)}
    (post,) = posts(sped_up, "/api/sms/send")
    result = xcom(dag_run, "notify_by_sms")
    assert {"uuid", "status", "phone", "credits_deducted", "adopted"} <= set(result)
    assert result["phone"] == "+34600000000" and result["adopted"] is False
    assert result["wait"]["outcome"] == "reached" and result["wait"]["target"] == "delivered"
    assert "Your contract 2026-014 is ready to sign" in str(post)
    log = logged(capfd)
    assert f"Certified SMS to +34*******00: uuid {result['uuid']}" in log
    assert "+34600000000" not in log.replace(str(post), "")


def test_a_message_over_300_characters_fails_before_any_request(
    sandbox: SandboxServer, connect: None, capfd: pytest.CaptureFixture[str]
) -> None:
    text = "Your contract {{ params.contract }} is ready to sign. Check your email."
    dag_run = run(load_snippet("sms_send", {text: "x" * 301}))
    assert states(dag_run) == {"notify_by_sms": ("failed", 1)}
    assert posts(sandbox, "/api/sms/send") == []
    assert "message: 301 characters; at most 300 allowed" in logged(capfd)


def test_a_failed_sms_fails_the_task_without_retries(
    sped_up: SandboxServer, connect: None, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("sms_send", {"+34600000000": "+34600000999"}))  # the sandbox fails it
    assert states(dag_run) == {"notify_by_sms": ("failed", 1)}
    assert len(posts(sped_up, "/api/sms/send")) == 1
    assert xcom(dag_run, "notify_by_sms", "legallymail_outcome")["outcome"] == "failed"
