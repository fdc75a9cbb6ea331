"""Notifiers: templated, sync and async, and one event sends once even when the callback fires twice."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.notifications.legallymail import (
    LegallyMailNotifier,
    LegallyMailSmsNotifier,
    send_legallymail_notification,
    send_legallymail_sms_notification,
)
from tests import api_examples as ex
from tests.conftest import LM_URL
from tests.dag_runs import load_dag, run, states

pytestmark = pytest.mark.usefixtures("lm_conn")


def context(try_number: int = 1) -> dict[str, Any]:
    ti = SimpleNamespace(task_id="load", map_index=-1, try_number=try_number)
    dag_run = SimpleNamespace(dag_id="etl", run_id="manual__1", start_date=None)
    return {"ti": ti, "task_instance": ti, "dag_run": dag_run, "ds": "2024-01-15"}


def test_callback_fired_twice_sends_once_and_the_next_try_sends_again() -> None:
    notifier = send_legallymail_notification(
        recipients="ops@example.com", subject="{{ ti.task_id }} failed on {{ ds }}", html="<p>See logs</p>"
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=ex.LM_SEND_SINGLE)
        notifier(context())
        notifier(context())
        assert m.call_count == 1
        assert m.request_history[0].json()["subject"] == "load failed on 2024-01-15"
        notifier(context(try_number=2))
    assert m.call_count == 2


def test_async_notify_sends_once_too() -> None:
    notifier = LegallyMailSmsNotifier(phone="+34600000000", message="{{ ti.task_id }} failed")
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", json=ex.LM_SMS_SEND)
        for _ in range(2):
            notifier.context = context()  # type: ignore[assignment]
            asyncio.run(_await(notifier))  # how Airflow runs a notifier in the triggerer
    assert m.call_count == 1
    assert m.request_history[0].json() == {"phone": "+34600000000", "message": "load failed"}


async def _await(notifier: LegallyMailSmsNotifier) -> None:
    await notifier


def test_a_send_refused_by_the_api_can_be_tried_again_by_the_next_firing() -> None:
    notifier = LegallyMailSmsNotifier(phone="+34600000000", message="failed")
    with rm.Mocker() as m:
        m.post(
            f"{LM_URL}/api/sms/send",
            [{"status_code": 403, "json": {"message": "no credits"}}, {"json": ex.LM_SMS_SEND}],
        )
        with pytest.raises(Exception, match="no credits"):
            notifier(context())
        notifier(context())
    assert m.call_count == 2


def test_different_notifiers_for_the_same_event_each_send() -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=ex.LM_SEND_SINGLE)
        LegallyMailNotifier(recipients="a@example.com", subject="one", html="x")(context())
        LegallyMailNotifier(recipients="a@example.com", subject="two", html="x")(context())
    assert m.call_count == 2


@pytest.mark.usefixtures("airflow_db")
def test_failure_callback_in_a_real_dag_run() -> None:
    assert send_legallymail_sms_notification is LegallyMailSmsNotifier
    dag = load_dag(
        "notify_on_failure",
        """
        from airflow_provider_legallymail.notifications.legallymail import LegallyMailNotifier

        with DAG("notify_on_failure", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            @task(on_failure_callback=LegallyMailNotifier(
                recipients="ops@example.com", subject="{{ ti.task_id }} failed", html="<p>{{ run_id }}</p>"))
            def boom():
                raise ValueError("broken")
            boom()
        """,
    )
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=ex.LM_SEND_SINGLE)
        dag_run = run(dag)
    assert states(dag_run)["boom"] == ("failed", 1)
    assert [r.json()["subject"] for r in m.request_history] == ["boom failed"]
