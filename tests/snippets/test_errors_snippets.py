"""The errors page's examples: bad input fails before any request; typed errors keep status and message."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail.exceptions import ValidationError
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states, xcom
from tests.integration.conftest import Connect

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_a_phone_number_out_of_form_fails_the_first_try_and_nothing_is_sent(
    sandbox: SandboxServer, connect: Connect, capfd: pytest.CaptureFixture[str]
) -> None:
    dag_run = run(load_snippet("errors_validation"))
    assert states(dag_run) == {"reminder": ("failed", 1)}  # retries=3, none spent
    assert sandbox.received(api="legallymail") == []  # no request at all
    log = "".join(capfd.readouterr())
    assert "phone: '600 000 000' is not a phone number in international form (e.g. +34600000000)" in log


def test_a_bad_wait_argument_fails_when_the_file_is_parsed() -> None:
    with pytest.raises(ValidationError) as raised:
        load_snippet("errors_parse_time")
    assert raised.value.field == "wait_for" and raised.value.status_code is None
    assert str(raised.value) == "wait_for: 'signed' is not one of delivered, read, settled for a certified email"


def test_a_caught_not_found_keeps_the_status_and_the_apis_message_and_an_uncaught_one_is_not_retried(
    sandbox: SandboxServer, connect: Connect
) -> None:
    dag_run = run(load_snippet("errors_handling"))
    assert states(dag_run) == {"look_up": ("success", 1), "look_up_or_fail": ("failed", 1)}
    assert xcom(dag_run, "look_up") == {
        "found": False,
        "status": 404,
        "where": "GET /api/email",
        "api": "Email not found: tracking_id 'cm_does_not_exist'",
    }
    assert len(sandbox.received(api="legallymail", method="GET", path="/api/email")) == 2  # one per task
