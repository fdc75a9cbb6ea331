"""LegitmailerSendEmailOperator and CancelDelayedEmailOperator: immediate and delayed sends, retries, on_kill."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import requests_mock as rm

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.legitmailer import single_send
from airflow_provider_legallymail.operators.legitmailer import CancelDelayedEmailOperator, LegitmailerSendEmailOperator
from tests.conftest import LT_URL
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("lt_conn")

NOW = 1_750_000_000.0


class Terminated(BaseException):
    """What the task runner raises in the task after calling on_kill."""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake wall clock: ``pause`` moves it forward and records the pause."""
    now = [NOW]
    paused: list[float] = []

    def pause(seconds: float) -> None:
        paused.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(single_send, "clock", lambda: now[0])
    monkeypatch.setattr(single_send, "pause", pause)
    return paused


def execute(op: Any, try_number: int = 1) -> Any:
    ti = SimpleNamespace(dag_id="direct", run_id="run1", task_id=op.task_id, map_index=-1, try_number=try_number)
    return op.execute({"ti": ti})


def test_plain_email_is_sent_now_and_returns_its_tracking_id() -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send",
        from_address="info@example.com",
        to_address="ana@example.com",
        subject="Hello",
        body="FYI",
        content_type="text/plain",
    )
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email", json={"trackingId": "tr-1"})
        assert execute(op) == "tr-1"
    body = m.request_history[0].json()
    assert body == {
        "validate": False,
        "fromAddress": "info@example.com",
        "toAddress": "ana@example.com",
        "subject": "Hello",
        "body": "FYI",
        "contentType": "text/plain",
    }


def test_template_email_delayed_by_a_timedelta_returns_the_request_id(clock: list[float]) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send",
        template="welcome",
        email="ana@example.com",
        token_map={"first_name": "Ana"},
        delay=timedelta(minutes=5),
    )
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", json={"requestId": "rq-1"})
        assert execute(op) == "rq-1"
    assert m.request_history[0].json() == {
        "validate": False,
        "template": "welcome",
        "email": "ana@example.com",
        "tokenMap": {"first_name": "Ana"},
        "delay": 300,
    }
    assert op.email is None  # the recipient is not Airflow's alert address
    assert clock == []  # without wait_until_sent the task does not wait


def test_send_at_queues_until_then_and_a_past_send_at_sends_now(clock: list[float]) -> None:
    later = datetime.fromtimestamp(NOW + 3600, timezone.utc)
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/delayed", json={"requestId": "rq-2"})
        m.post(f"{LT_URL}/api/email", json={"trackingId": "tr-2"})
        plain: dict[str, Any] = {
            "from_address": "info@example.com",
            "to_address": "ana@example.com",
            "subject": "S",
            "body": "B",
        }
        assert execute(LegitmailerSendEmailOperator(task_id="a", send_at=later, **plain)) == "rq-2"
        assert execute(LegitmailerSendEmailOperator(task_id="b", send_at=later.isoformat(), **plain)) == "rq-2"
        past = datetime.fromtimestamp(NOW - 60, timezone.utc).replace(tzinfo=None)
        assert execute(LegitmailerSendEmailOperator(task_id="c", send_at=past, **plain)) == "tr-2"
    assert [r.json().get("delay") for r in m.request_history] == [3600, 3600, None]


def test_bad_arguments_fail_before_any_request() -> None:
    plain: dict[str, Any] = {
        "from_address": "info@example.com",
        "to_address": "ana@example.com",
        "subject": "S",
        "body": "B",
    }
    with rm.Mocker() as m:
        for op in (
            LegitmailerSendEmailOperator(task_id="a", template="welcome", email="ana@example.com", subject="S"),
            LegitmailerSendEmailOperator(task_id="b", delay=60, send_at="2030-01-01T00:00:00Z", **plain),
            LegitmailerSendEmailOperator(task_id="c", delay=0, **plain),
            LegitmailerSendEmailOperator(task_id="d", send_at="next tuesday", **plain),
            LegitmailerSendEmailOperator(task_id="e", **{**plain, "to_address": "nope"}),
        ):
            with pytest.raises(AirflowFailException):
                execute(op)
    assert m.request_history == []


def send_dag(dag_id: str, on_retry: str) -> Any:
    return load_dag(
        dag_id,
        f"""
        from airflow_provider_legallymail.operators.legitmailer import LegitmailerSendEmailOperator

        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            LegitmailerSendEmailOperator(
                task_id="send", template="welcome", email="ana@example.com", token_map={{"first_name": "Ana"}},
                delay=600, on_retry="{on_retry}",
            )
        """,
    )


@pytest.mark.usefixtures("airflow_db")
def test_a_lost_answer_to_a_delayed_send_is_not_sent_again_by_default() -> None:
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", exc=requests.exceptions.ReadTimeout("lost"))
        dag_run = run(send_dag("lt_send_lost", "adopt"))
    assert states(dag_run)["send"] == ("failed", 2)
    assert len(m.request_history) == 1


@pytest.mark.usefixtures("airflow_db")
def test_a_lost_answer_is_sent_again_when_asked() -> None:
    with rm.Mocker() as m:
        m.post(
            f"{LT_URL}/api/email/template/delayed",
            [{"exc": requests.exceptions.ReadTimeout("lost")}, {"json": {"requestId": "rq-9"}}],
        )
        dag_run = run(send_dag("lt_send_resend", "resend"))
    assert states(dag_run)["send"] == ("success", 2)
    assert xcom(dag_run, "send") == "rq-9"


def test_a_retry_adopts_a_queued_email_and_waits_for_what_is_left(clock: list[float]) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send",
        template="welcome",
        email="ana@example.com",
        token_map={"first_name": "Ana"},
        delay=120,
        wait_until_sent=True,
        poke_interval=50,
    )
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", json={"requestId": "rq-3"})
        assert execute(op) == "rq-3"
        assert clock == [50, 50, 20]
        clock.clear()
        assert execute(op, try_number=2) == "rq-3"  # e.g. the worker died after the wait
    assert len(m.request_history) == 1 and clock == []


def test_on_kill_while_waiting_cancels_the_queued_email_and_the_retry_queues_it_again(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send",
        from_address="info@example.com",
        to_address="ana@example.com",
        subject="S",
        body="B",
        delay=300,
        wait_until_sent=True,
    )

    def killed(seconds: float) -> None:
        op.on_kill()  # the task runner calls on_kill, then stops the task
        raise Terminated

    monkeypatch.setattr(single_send, "pause", killed)
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/delayed", [{"json": {"requestId": "rq-4"}}, {"json": {"requestId": "rq-5"}}])
        m.delete(f"{LT_URL}/api/email/delayed/rq-4", status_code=204)
        with pytest.raises(Terminated):
            execute(op)
        assert [(r.method, r.path) for r in m.request_history] == [
            ("POST", "/api/email/delayed"),
            ("DELETE", "/api/email/delayed/rq-4"),
        ]
        op.wait_until_sent = False
        assert execute(op, try_number=2) == "rq-5"  # the cancelled email is not adopted
    op.on_kill()  # nothing is pending any more: no request
    assert len(m.request_history) == 3


def test_on_kill_after_the_wait_does_nothing(clock: list[float]) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send", template="welcome", email="ana@example.com", token_map={"first_name": "A"}, delay=5
    )
    op.wait_until_sent = True
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", json={"requestId": "rq-6"})
        execute(op)
        op.on_kill()
    assert [r.method for r in m.request_history] == ["POST"]


def test_cancel_operator_cancels_and_fails_without_retry_when_already_sent(tmp_path: Path) -> None:
    with rm.Mocker() as m:
        m.delete(f"{LT_URL}/api/email/delayed/rq-7", status_code=204)
        m.delete(f"{LT_URL}/api/email/delayed/rq-8", status_code=400, json={"message": "already sent"})
        assert execute(CancelDelayedEmailOperator(task_id="c", request_id="rq-7")) is None
        with pytest.raises(AirflowFailException, match="already sent"):
            execute(CancelDelayedEmailOperator(task_id="d", request_id="rq-8"))


@pytest.mark.usefixtures("airflow_db")
def test_send_then_cancel_through_xcom() -> None:
    dag = load_dag(
        "lt_send_cancel",
        """
        from airflow_provider_legallymail.operators.legitmailer import (
            CancelDelayedEmailOperator, LegitmailerSendEmailOperator,
        )

        with DAG("lt_send_cancel", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            send = LegitmailerSendEmailOperator(
                task_id="send", from_address="info@example.com", to_address="ana@example.com",
                subject="S", body="B", delay=pendulum.duration(hours=1),
            )
            send >> CancelDelayedEmailOperator(task_id="cancel", request_id=send.output)
        """,
    )
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/delayed", json={"requestId": "rq-x"})
        m.delete(f"{LT_URL}/api/email/delayed/rq-x", status_code=204)
        dag_run = run(dag)
    assert states(dag_run) == {"send": ("success", 1), "cancel": ("success", 1)}
    assert [r.method for r in m.request_history] == ["POST", "DELETE"]
    assert m.request_history[0].json()["delay"] == 3600


def test_sigterm_calls_on_kill_and_the_task_then_fails_instead_of_succeeding(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    op = LegitmailerSendEmailOperator(
        task_id="send", template="welcome", email="ana@example.com", token_map={"first_name": "A"}, delay=600
    )
    op.wait_until_sent = True
    monkeypatch.setattr(single_send, "pause", lambda seconds: op.on_kill())  # Airflow's handler returns
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", json={"requestId": "rq-t"})
        m.delete(f"{LT_URL}/api/email/delayed/rq-t", status_code=204)
        with pytest.raises(Exception, match="killed while waiting: the queued email rq-t was cancelled"):
            execute(op)
    assert [r.method for r in m.request_history] == ["POST", "DELETE"]
