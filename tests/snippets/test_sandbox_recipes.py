"""The sandbox recipes (docs/sandbox/recipes.md) run as printed against the sandbox: only the sandbox's address and
the PDF's path are filled in, as a reader would."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom
from tests.integration.conftest import Connect

pytestmark = pytest.mark.usefixtures("airflow_db")


def filled_in(sandbox: SandboxServer, pdf: Path | None = None) -> dict[str, str]:
    """What a reader fills in: the sandbox's control address and, for a signature, the PDF's path."""
    replace = {"http://127.0.0.1:8765/_sandbox": f"{sandbox.url}/_sandbox"}
    if pdf is not None:
        replace["/path/to/contract.pdf"] = str(pdf)
    return replace


def test_sign_a_signature_request_from_a_task(sandbox: SandboxServer, connect: Connect, pdf: Path) -> None:
    dag_run = run(load_snippet("recipe_sign", filled_in(sandbox, pdf)))
    assert states(dag_run) == {
        "request_signature": ("success", 1),
        "sign_in_the_sandbox": ("success", 1),
        "wait_signed": ("success", 1),
    }
    assert xcom(dag_run, "sign_in_the_sandbox") == "signed"
    signed = xcom(dag_run, "wait_signed")
    assert signed["outcome"] == "reached" and signed["signers"][0]["status"] == "signed"
    (only,) = LegallyMailHook().list_signatures()
    assert only.status.value == "signed"


def test_a_declined_request_fails_the_wait_without_retries(sandbox: SandboxServer, connect: Connect, pdf: Path) -> None:
    dag_run = run(load_snippet("recipe_decline", filled_in(sandbox, pdf)))
    assert states(dag_run) == {
        "request_signature": ("success", 1),
        "decline_in_the_sandbox": ("success", 1),
        "wait_signed": ("failed", 1),  # retries=3, none spent: the outcome cannot change
        "why": ("success", 1),
    }
    assert xcom(dag_run, "decline_in_the_sandbox") == "declined"
    assert xcom(dag_run, "why") == "declined"


def test_a_bounce_fails_the_wait_for_delivery_and_names_the_recipient(sandbox: SandboxServer, connect: Connect) -> None:
    dag_run = run(load_snippet("recipe_bounce", filled_in(sandbox)))
    assert states(dag_run) == {
        "notice": ("success", 1),
        "let_ten_seconds_pass": ("success", 1),
        "wait_delivered": ("failed", 1),
    }
    outcome = xcom(dag_run, "wait_delivered", key="legallymail_outcome")
    assert {r["who"]: r["status"] for r in outcome["recipients"]} == {
        "ana@example.com": "delivered",
        "bob+bounce@example.com": "bounced",
    }
    assert outcome["failed"]["who"] == "bob+bounce@example.com"
    assert outcome["failed"]["reason"] == "bounced (Hard Bounce: Mailbox does not exist)"


def test_an_unsigned_request_expires_after_a_week(sandbox: SandboxServer, connect: Connect, pdf: Path) -> None:
    dag_run = run(load_snippet("recipe_expire", filled_in(sandbox, pdf)))
    assert states(dag_run) == {
        "request_signature": ("success", 1),
        "let_a_week_pass": ("success", 1),
        "wait_signed": ("failed", 1),
    }
    assert xcom(dag_run, "wait_signed", key="legallymail_outcome")["failed"]["status"] == "expired"
    (only,) = LegallyMailHook().list_signatures()
    assert only.status.value == "expired"


@pytest.fixture(scope="module")
def live_server() -> Iterator[SandboxServer]:
    """A real-time clock, as `legallymail-sandbox` runs: a lost send is looked up by its creation time."""
    with SandboxServer(SandboxConfig(speed=1.0, rate_limit=0)) as server:
        yield server


def live(server: SandboxServer, monkeypatch: pytest.MonkeyPatch, **extras: Any) -> SandboxServer:
    server.reset()
    for name, value in server.connection_env(requests_per_minute=0, **extras).items():
        monkeypatch.setenv(name, value)
    return server


def sends(server: SandboxServer) -> list[Any]:
    return server.received(api="legallymail", method="POST", path="/api/send")


def test_a_lost_answer_is_adopted_not_sent_again(
    live_server: SandboxServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    server = live(live_server, monkeypatch)
    dag_run = run(load_snippet("recipe_fault_lost_answer", filled_in(server)))
    assert states(dag_run) == {"lose_the_next_send_answer": ("success", 1), "notice": ("success", 1)}
    assert [(r["status"], r["dropped"]) for r in sends(server)] == [(200, True)]  # committed, answer lost
    (email,) = LegallyMailHook().list_emails()
    summary = xcom(dag_run, "notice")
    assert summary["parent_tracking_ids"] == [email.tracking_id]
    assert summary["sends"][0]["adopted"] is True
    assert xcom(dag_run, "lose_the_next_send_answer")["drop_response"] is True


def test_a_slow_answer_is_adopted_after_the_settle_time(
    live_server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = live(live_server, monkeypatch, timeout=1, settle_seconds=2)  # real waits: about 3 s
    dag_run = run(load_snippet("recipe_fault_slow_answer", filled_in(server)))
    assert states(dag_run) == {"slow_down_the_next_send": ("success", 1), "notice": ("success", 1)}
    assert len(sends(server)) == 1
    (email,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "notice")["parent_tracking_ids"] == [email.tracking_id]
    assert xcom(dag_run, "notice")["sends"][0]["adopted"] is True


def test_refusals_before_processing_are_sent_again_once_accepted(
    sandbox: SandboxServer, connect: Connect, waits: list[float]
) -> None:
    dag_run = run(load_snippet("recipe_fault_refused", filled_in(sandbox)))
    assert states(dag_run) == {"refuse_the_next_sends": ("success", 1), "notice": ("success", 1)}
    assert [r["status"] for r in sends(sandbox)] == [503, 503, 429, 200]
    assert 1 in waits  # the 429's Retry-After was waited out
    (email,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "notice")["parent_tracking_ids"] == [email.tracking_id]


def test_a_tampered_certificate_is_refused_and_the_retry_archives_it_intact(
    sandbox: SandboxServer, connect: Connect, tmp_path: Path
) -> None:
    dag = load_snippet(
        "recipe_fault_tampered",
        {"http://127.0.0.1:8765/_sandbox": f"{sandbox.url}/_sandbox", "file:///path/to/evidence": f"file://{tmp_path}"},
    )
    dag_run = run(dag)
    assert states(dag_run) == {
        "notice": ("success", 1),
        "deliver_then_tamper_with_the_next_download": ("success", 1),
        "archive": ("success", 2),  # try 1 failed on the hash; nothing was kept under the file's name
    }
    (email,) = LegallyMailHook().list_emails()
    (certificate,) = (tmp_path / "email" / email.tracking_id).glob("certificate-*-delivered.pdf")
    downloads = sandbox.received(api="legallymail", method="GET", path="/emails/download-certificate")
    assert [d["fault"] is not None for d in downloads] == [True, False]
    detail = LegallyMailHook().get_email(email.tracking_id)
    published = {c.file_hash for c in [*detail.certificates, *(c for r in detail.recipients for c in r.certificates)]}
    assert hashlib.sha256(certificate.read_bytes()).hexdigest() in published
