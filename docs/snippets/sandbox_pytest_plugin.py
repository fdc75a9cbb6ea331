"""A test module of your own against the sandbox: the pytest plugin's fixtures and the hooks' default conn ids.

Installing ``legallymail-sandbox`` is enough: pytest loads its plugin through the ``pytest11`` entry point.
"""

from __future__ import annotations

# [START sandbox_plugin]
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG, task

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer


@task
def readers(tracking_id: str) -> list[str]:
    """A task of your DAG (usually imported from your dags folder): who has read a certified email."""
    email = LegallyMailHook().get_email(tracking_id)
    return sorted(r.email for r in email.recipients if r.status == EmailStatus.READ)


with DAG("notice_readers", schedule=None, start_date=pendulum.datetime(2026, 1, 1), params={"id": ""}) as dag:
    readers("{{ params.id }}")


# In conftest.py (or the test module): how the sandbox starts, and the connections' extras.
@pytest.fixture(scope="session")
def legallymail_sandbox_config() -> SandboxConfig:
    """How the session's sandbox starts, and what every reset returns to."""
    return SandboxConfig(speed=0, rate_limit=0)  # time frozen (tests move it), no 429s


@pytest.fixture(scope="session")
def legallymail_sandbox_connection_extras() -> dict[str, Any]:
    """Extras of both connections the fixture sets."""
    return {"requests_per_minute": 0}  # lift the hooks' own budget of 10 LegallyMail requests a minute


def test_a_notice_is_read_once_the_clock_moves(legallymail_sandbox: SandboxServer) -> None:
    hook = LegallyMailHook()  # legallymail_default points at the sandbox for this test
    sent = hook.send_email(["ana@example.com", "bob+noread@example.com"], "Notice", "<p>Hello</p>")
    legallymail_sandbox.advance(30)  # sandbox seconds: delivered after 5, read after 30
    assert readers.function(sent.tracking_id) == ["ana@example.com"]  # +noread: delivered, never read
    assert len(legallymail_sandbox.received(api="legallymail", method="POST", path="/api/send")) == 1


def test_a_signer_declines(legallymail_sandbox: SandboxServer) -> None:
    hook = LegallyMailHook()
    request = hook.request_signature(
        legallymail_sandbox.sample_pdf(), "contract.pdf", [{"name": "Eve", "email": "eve@example.com"}]
    )
    assert legallymail_sandbox.decline(request.uuid) == "declined"
    assert hook.get_signature(request.uuid).status == SignatureStatus.DECLINED


def test_each_test_starts_from_a_reset_sandbox(legallymail_sandbox: SandboxServer) -> None:
    assert legallymail_sandbox.received() == []  # no request, full credits, no faults, clock offset 0


# [END sandbox_plugin]
