"""``SignatureRequestOperator(wait_for="signed", resend_on_expiry=N)`` in real DAG runs against the sandbox.

Signers who never sign on their own (``+nosign``) and a signer thread that acts on each request as it
arrives: lets it expire (moves the sandbox clock past its ``expires_at``), signs or declines it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
WEEK_AND_A_DAY = 8 * 86400.0


class Signer(threading.Thread):
    """Acts on the n-th signature request with ``script[n]``: "expire", "sign" or "decline"."""

    def __init__(self, sandbox: SandboxServer, script: list[str]) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.script = sandbox, script
        self.seen: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        hook = LegallyMailHook()
        while not self.stop.wait(0.05):
            for item in reversed(hook.list_signatures()):  # oldest first
                if item.uuid in self.seen:
                    continue
                action = self.script[len(self.seen)] if len(self.seen) < len(self.script) else "expire"
                self.seen.append(item.uuid)
                if action == "expire":
                    self.sandbox.advance(WEEK_AND_A_DAY)
                else:
                    getattr(self.sandbox, action)(item.uuid)


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


@pytest.fixture
def signer(sandbox: SandboxServer) -> Iterator[Any]:
    started: list[Signer] = []

    def start(*script: str) -> Signer:
        thread = Signer(sandbox, list(script))
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop.set()
        thread.join()


def contract_dag(dag_id: str, pdf: Path, resends: int = 1, retries: int = 0) -> Any:
    return load_dag(
        dag_id,
        f"""
        args = {{"retries": {retries}, "retry_delay": pendulum.duration(seconds=0)}}
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), default_args=args) as dag:
            SignatureRequestOperator(task_id="sign", document="{pdf}", wait_for="signed",
                                     resend_on_expiry={resends},
                                     signers=[{{"name": "Ana", "email": "ana+nosign@example.com"}}])
        """,
    )


def posts(sandbox: SandboxServer) -> int:
    return len(sandbox.received(api="legallymail", method="POST", path="/api/signature/send"))


def test_a_request_that_expired_is_sent_again_and_the_task_reports_both(
    sandbox: SandboxServer, pdf: Path, signer: Any
) -> None:
    actor = signer("expire", "sign")
    dag_run = run(contract_dag("resend_then_signed", pdf))
    assert states(dag_run)["sign"] == ("success", 1)
    assert posts(sandbox) == 2
    result = xcom(dag_run, "sign")
    assert [r["uuid"] for r in result["requests"]] == actor.seen
    assert result["uuid"] == actor.seen[1]  # the last request's fields at the top, as without re-sends
    assert result["wait"]["outcome"] == "reached" and result["wait"]["ids"] == [actor.seen[1]]
    assert LegallyMailHook().get_signature(actor.seen[0]).status.value == "expired"


def test_expired_more_often_than_allowed_fails_naming_every_request(
    sandbox: SandboxServer, pdf: Path, signer: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    actor = signer("expire", "expire", "expire")
    dag_run = run(contract_dag("resend_expired_twice", pdf))
    assert states(dag_run)["sign"] == ("failed", 1)  # an outcome, not retried
    assert posts(sandbox) == 2
    assert [r["uuid"] for r in xcom(dag_run, "sign", key="legallymail_sends")] == actor.seen[:2]
    assert f"after 2 signature requests: {actor.seen[0]}, {actor.seen[1]}" in capfd.readouterr().out


def test_a_declined_request_is_never_sent_again(sandbox: SandboxServer, pdf: Path, signer: Any) -> None:
    signer("decline", "sign")
    dag_run = run(contract_dag("resend_declined", pdf, resends=3))
    assert states(dag_run)["sign"] == ("failed", 1)
    assert posts(sandbox) == 1


def test_a_retry_after_the_worker_is_lost_past_the_resend_does_not_send_a_third(
    sandbox: SandboxServer, pdf: Path, signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-send went out and is in the ledger, then the task dies before deferring: the retry adopts it."""
    from airflow_provider_legallymail.sensors import legallymail as sensors

    real = sensors.defer_wait
    calls: list[int] = []

    def lost_on_the_resend(task: Any, spec: Any, conn_id: str, **kwargs: Any) -> Any:
        calls.append(len(kwargs["carry"]["requests"]))
        if calls == [1, 2]:  # the re-send's first deferral
            raise SystemExit("worker lost")
        return real(task, spec, conn_id, **kwargs)

    monkeypatch.setattr(sensors, "defer_wait", lost_on_the_resend)
    actor = signer("expire", "sign")
    dag_run = run(contract_dag("resend_worker_lost", pdf, retries=1))
    assert states(dag_run)["sign"] == ("success", 2)
    assert calls == [1, 2, 2]  # the retry resumed at the re-send
    assert posts(sandbox) == 2
    result = xcom(dag_run, "sign")
    assert [r["uuid"] for r in result["requests"]] == actor.seen
    # the re-send is adopted, not sent again; the first request reads adopted on Airflow 3.2+, where the retry
    # starts at execute and finds it in the ledger, and as try 1 summarised it on 3.1, whose retry resumes
    # execute_complete with the event it had (the first request in its carry)
    assert result["requests"][-1]["adopted"] is True


def test_a_resends_look_up_never_adopts_a_request_it_re_sends(pdf: Path) -> None:
    """A retry that lost its ledger looks a re-send up since the run began: the expired requests match too."""
    from datetime import datetime, timedelta, timezone

    from airflow_provider_legallymail.delivery.lost_sends import find_signature

    hook = LegallyMailHook()
    began = datetime.now(timezone.utc) - timedelta(minutes=5)
    signers = [{"name": "Ana", "email": "ana+nosign@example.com"}]
    first = hook.request_signature(str(pdf), None, signers)
    second = hook.request_signature(str(pdf), None, signers)
    request = {"document_name": first.document_name, "signer_emails": ["ana+nosign@example.com"]}
    assert find_signature(hook, request, began).summary["uuid"] == second.uuid  # type: ignore[index]
    found = find_signature(hook, request, began, exclude=frozenset({second.uuid}))
    assert found.summary is not None and found.summary["uuid"] == first.uuid
    assert find_signature(hook, request, began, exclude=frozenset({first.uuid, second.uuid})).summary is None
