"""Re-sends on expiry: checked at parse time, resumed from the ledger, and only after an expiry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.delivery.resends import expired_unsigned, resend_key, resume_point
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

FIRST = "signature:abc"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resend_on_expiry": 1}, 'need wait_for="signed"'),
        ({"resend_on_expiry": -1, "wait_for": "signed"}, "-1 is not a whole number"),
        ({"resend_on_expiry": True, "wait_for": "signed"}, "True is not a whole number"),
        ({"resend_on_expiry": "2", "wait_for": "signed"}, "'2' is not a whole number"),
    ],
)
def test_bad_resend_on_expiry_fails_when_the_dag_is_parsed_naming_the_field(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match="resend_on_expiry") as raised:
        SignatureRequestOperator(task_id="t", document=b"%PDF-1.4", signers=[], **kwargs)
    assert message in str(raised.value)


def ledger_with(tmp_path: Path, *units: tuple[int, AttemptState]) -> SendLedger:
    ledger = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task").load()
    ledger.start_try(1)
    for number, state in units:
        key = resend_key(FIRST, number)
        ledger.begin(key, 1, {"document_name": "c.pdf"})
        ledger.finish(key, state, result={"uuid": f"u{number}"} if state is AttemptState.ACCEPTED else None)
    return ledger


def test_a_retry_resumes_at_the_last_recorded_request(tmp_path: Path) -> None:
    accepted = AttemptState.ACCEPTED
    assert resume_point(ledger_with(tmp_path / "a"), FIRST, 3) == ([], 0)
    assert resume_point(ledger_with(tmp_path / "b", (0, accepted)), FIRST, 3) == ([], 0)
    earlier, number = resume_point(ledger_with(tmp_path / "c", (0, accepted), (1, AttemptState.IN_DOUBT)), FIRST, 3)
    assert (earlier, number) == ([{"uuid": "u0", "adopted": True}], 1)  # re-send 1 is delivered (looked up)
    every = ledger_with(tmp_path / "d", (0, accepted), (1, accepted), (2, accepted))
    assert [r["uuid"] for r in resume_point(every, FIRST, 2)[0]] == ["u0", "u1"]
    assert resume_point(every, FIRST, 1)[1] == 1  # never past the limit the task has now


def test_only_an_expiry_is_re_sent() -> None:
    def event(status: str, failed: str | None) -> dict[str, Any]:
        return {"status": status, "result": {"failed": {"status": failed}} if failed else {}}

    assert expired_unsigned(event("failed", "expired"))
    for other in (event("failed", "declined"), event("failed", "contradiction"), event("reached", None)):
        assert not expired_unsigned(other)
    assert not expired_unsigned({"status": "timeout", "message": "deadline reached"})
