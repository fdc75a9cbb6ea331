"""Exactly once against the sandbox's faults, through real DAG runs whose tasks retry.

The sandbox commits a send and drops its response (the case that makes naive clients send twice), or fails
before committing. Each test checks what the sandbox really holds afterwards and what the task pushed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")
RETRIES = 'default_args={"retries": 1, "retry_delay": pendulum.duration(seconds=0)}'


@pytest.fixture(scope="module")
def live_server() -> Iterator[SandboxServer]:
    """Real-time clock: creation times must be comparable with the worker's clock, as with the real API."""
    with SandboxServer(SandboxConfig(speed=1.0, rate_limit=0)) as server:
        yield server


@pytest.fixture
def live(live_server: SandboxServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> SandboxServer:
    live_server.reset()
    for name, value in live_server.connection_env(requests_per_minute=0).items():
        monkeypatch.setenv(name, value)
    return live_server


def posts(server: SandboxServer, path: str) -> list[Any]:
    return server.received(api="legallymail", method="POST", path=path)


def email_dag(dag_id: str) -> Any:
    return load_dag(
        dag_id,
        f"""
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), {RETRIES}) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients=["ana@example.com", "bob@example.com"],
                                       subject="Contract {{{{ run_id }}}}", html="<p>Please sign.</p>")
        """,
    )


def signature_dag(dag_id: str, pdf: Path) -> Any:
    return load_dag(
        dag_id,
        f"""
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), {RETRIES}) as dag:
            SignatureRequestOperator(task_id="sign", document="{pdf}",
                                     signers=[{{"name": "Ana", "email": "ana@example.com"}}])
        """,
    )


def sms_dag(dag_id: str) -> Any:
    return load_dag(
        dag_id,
        f"""
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), {RETRIES}) as dag:
            SmsOperator(task_id="sms", phone="+34600000000", message="Your contract is ready")
        """,
    )


@pytest.fixture
def contract_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "contract.pdf"
    path.write_bytes(render_pdf("Contract", ["between ACME and Ana"]))
    return path


def test_email_whose_response_was_dropped_is_adopted_not_resent(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
    dag_run = run(email_dag("eo_live_email_drop"))
    assert states(dag_run)["send"] == ("success", 1)  # resolved in the same try
    assert [r["dropped"] for r in posts(live, "/api/send")] == [True]
    emails = LegallyMailHook().list_emails()
    assert len(emails) == 1
    detail = LegallyMailHook().get_email(emails[0].tracking_id)
    summary = xcom(dag_run, "send")
    assert summary["parent_tracking_ids"] == [detail.tracking_id]
    assert summary["tracking_ids"] == {r.email: r.tracking_id for r in detail.recipients}
    assert summary["sends"][0]["adopted"] is True


def test_signature_whose_response_was_dropped_is_adopted_not_resent(live: SandboxServer, contract_pdf: Path) -> None:
    live.fault("legallymail", "POST", "/api/signature/send", drop_response=True, count=1)
    dag_run = run(signature_dag("eo_live_sign_drop", contract_pdf))
    assert states(dag_run)["sign"] == ("success", 1)
    assert [r["dropped"] for r in posts(live, "/api/signature/send")] == [True]
    (only,) = LegallyMailHook().list_signatures()
    assert xcom(dag_run, "sign")["uuid"] == only.uuid
    assert xcom(dag_run, "sign")["adopted"] is True


def test_sms_whose_response_was_dropped_is_never_sent_twice(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/sms/send", drop_response=True, count=1)
    dag_run = run(sms_dag("eo_live_sms_drop"))
    assert states(dag_run)["sms"] == ("failed", 2)  # the retry refused: the outcome cannot be looked up
    assert [r["dropped"] for r in posts(live, "/api/sms/send")] == [True]
    assert xcom(dag_run, "sms") is None  # no id is claimed that the task does not know


def test_email_that_failed_before_commit_is_sent_on_retry(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/send", status=500, count=1)
    dag_run = run(email_dag("eo_live_email_500"))
    assert states(dag_run)["send"] == ("success", 2)
    assert len(posts(live, "/api/send")) == 2
    (only,) = LegallyMailHook().list_emails()
    assert xcom(dag_run, "send")["parent_tracking_ids"] == [only.tracking_id]
    assert xcom(dag_run, "send")["sends"][0]["adopted"] is False


def test_signature_that_failed_before_commit_is_sent_on_retry(live: SandboxServer, contract_pdf: Path) -> None:
    live.fault("legallymail", "POST", "/api/signature/send", status=502, count=1)
    dag_run = run(signature_dag("eo_live_sign_502", contract_pdf))
    assert states(dag_run)["sign"] == ("success", 1)  # provably absent once settled: sent again in the same try
    (only,) = LegallyMailHook().list_signatures()
    assert xcom(dag_run, "sign")["uuid"] == only.uuid


def test_sms_refused_before_processing_is_sent_on_retry(live: SandboxServer) -> None:
    live.fault("legallymail", "POST", "/api/sms/send", status=503, count=4)  # outlasts the hook's 3 retries
    dag_run = run(sms_dag("eo_live_sms_503"))
    assert states(dag_run)["sms"] == ("success", 2)
    accepted = [r for r in posts(live, "/api/sms/send") if r["status"] == 200]
    assert len(accepted) == 1
    assert xcom(dag_run, "sms")["uuid"]


def _airflow_has_state_store() -> bool:
    import airflow

    return tuple(int(p) for p in airflow.__version__.split(".")[:2]) >= (3, 3)


def stored_ledger(dag_run: Any, task_id: str) -> tuple[str, dict[str, Any]]:
    """(where, document) of the task instance's ledger with the default settings."""
    import json
    import os

    if not _airflow_has_state_store():  # Airflow 3.1/3.2: the host's AIRFLOW_HOME
        path = Path(os.environ["AIRFLOW_HOME"], "legallymail", "ledger", dag_run.dag_id)
        (found,) = [p for p in path.rglob(f"{task_id}.json")]
        return "file", json.loads(found.read_text())
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(TaskStateStoreModel).where(
                TaskStateStoreModel.dag_id == dag_run.dag_id, TaskStateStoreModel.task_id == task_id
            )
        ).all()
        values = {row.key: json.loads(row.value) for row in rows}
    return "task state store", values["legallymail/ledger"]


def test_with_default_settings_a_retry_reads_the_ledger_from_airflows_own_state(
    live: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Airflow 3.3+: the metadata database (task state store), which every worker reads; else the host's disk."""
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH")  # what a user has
    live.fault("legallymail", "POST", "/api/sms/send", drop_response=True, count=1)
    dag_run = run(sms_dag("eo_default_ledger_sms_drop"))
    assert states(dag_run)["sms"] == ("failed", 2)  # try 2 saw try 1's lost send and did not send again
    assert len(posts(live, "/api/sms/send")) == 1
    where, ledger = stored_ledger(dag_run, "sms")
    assert where == ("task state store" if _airflow_has_state_store() else "file")
    assert ledger["tries"] == [1, 2]
    (attempt,) = ledger["units"]["sms:+34600000000"]
    assert attempt["try"] == 1 and attempt["state"] == "in_doubt" and attempt["sent_at"] >= attempt["at"]
