"""Retries never send twice: each case runs a real DAG whose task has retries, against requests-mock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import requests_mock as rm

from tests import api_examples as ex
from tests.conftest import LM_URL
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "lm_conn")

SEND = f"{LM_URL}/api/send"
EMAILS = f"{LM_URL}/api/emails"


def email_dag(dag_id: str, recipients: str = "ana@example.com", on_retry: str = "adopt") -> Any:
    return load_dag(
        dag_id,
        f"""
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients="{recipients}", subject="Notice",
                                       html="<p>x</p>", on_retry="{on_retry}")
        """,
    )


def sms_dag(dag_id: str, on_retry: str = "adopt") -> Any:
    return load_dag(
        dag_id,
        f"""
        with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
                 default_args={{"retries": 1, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
            SmsOperator(task_id="sms", phone="+34600000000", message="hello", on_retry="{on_retry}")
        """,
    )


def listed(tracking_id: str, recipient: str = "ana@example.com", subject: str = "Notice") -> dict[str, Any]:
    now = __import__("pendulum").now("Europe/Madrid").format("YYYY-MM-DD HH:mm:ss")
    entry = {**ex.LM_EMAILS["emails"][0], "tracking_id": tracking_id, "recipient": recipient, "subject": subject}
    entry.update({"status": "sent", "created_at": now, "sent_at": now, "read_at": None})
    return {"success": True, "count": 1, "limit": 25, "max_limit": 25, "emails": [entry]}


def posts(m: rm.Mocker, path: str = "/api/send") -> int:
    return sum(1 for r in m.request_history if r.method == "POST" and r.path == path)


def test_lost_response_is_found_and_adopted_in_the_same_try_once_it_settled(sleeps: list[float]) -> None:
    dag = email_dag("eo_adopt")
    with rm.Mocker() as m:
        m.post(SEND, exc=requests.exceptions.ReadTimeout("lost"))
        m.get(EMAILS, json=listed("cm_already_sent"))
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 1)
    assert len(sleeps) == 1 and 59 <= sleeps[0] <= 60  # timeout 30 s + settle_seconds 30 s before the look-up
    assert posts(m) == 1
    summary = xcom(dag_run, "send")
    assert summary["tracking_ids"] == {"ana@example.com": "cm_already_sent"}
    assert summary["sends"][0]["adopted"] is True


def test_a_later_try_waits_from_when_the_lost_post_went_out(tmp_path: Any, sleeps: list[float]) -> None:
    """The ledger keeps ``sent_at`` (after a budget wait or refused attempts), and the next try settles from it."""
    from airflow_provider_legallymail.delivery.deliverer import Deliverer, OnRetry, SendUnit, utcnow
    from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
    from airflow_provider_legallymail.delivery.lost_sends import Lookup

    ledger = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task").load()
    ledger.start_try(1)
    ledger.begin("email:x", 1, {"recipients": ["ana@example.com"], "subject": "Notice"})
    ledger._doc["units"]["email:x"][-1]["at"] = (utcnow() - timedelta(seconds=50)).isoformat()
    ledger.finish("email:x", AttemptState.IN_DOUBT, error="lost", sent_at=utcnow() - timedelta(seconds=20))
    again = SendLedger.at(f"file://{tmp_path}", "dag", "run", "task").load()
    again.start_try(2)
    looked_up: list[datetime] = []

    def lookup(request: dict[str, Any], since: datetime) -> Lookup:
        looked_up.append(since)
        return Lookup(None, True)  # provably absent

    unit = SendUnit(
        key="email:x",
        kind="email",
        request={"recipients": ["ana@example.com"], "subject": "Notice"},
        send=lambda: {"tracking_id": "cm_new"},
        lookup=lookup,
    )
    result = Deliverer(again, OnRetry.ADOPT, 2, None, settle_seconds=60).deliver(unit)
    assert len(sleeps) == 1 and 39 <= sleeps[0] <= 40  # 60 s from sent_at, 20 s ago (not from "at", 50 s ago)
    assert len(looked_up) == 1 and (utcnow() - looked_up[0]).total_seconds() >= 49  # the window opens at "at"
    assert result == {"tracking_id": "cm_new", "adopted": False}


def test_a_send_that_provably_failed_is_sent_on_retry() -> None:
    dag = email_dag("eo_resend_after_500")
    with rm.Mocker() as m:
        m.post(SEND, [{"status_code": 500, "json": {"message": "boom"}}, {"json": ex.LM_SEND_SINGLE}])
        m.get(EMAILS, json={"success": True, "count": 0, "limit": 25, "max_limit": 25, "emails": []})
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 2)
    assert posts(m) == 2
    assert xcom(dag_run, "send")["tracking_ids"] == {"example@example.com": "cm_xxx"}


def test_an_older_identical_email_is_not_adopted() -> None:
    dag = email_dag("eo_old_match")
    old = listed("cm_last_week")
    old["emails"][0]["created_at"] = "2020-01-01 10:00:00"
    with rm.Mocker() as m:
        m.post(SEND, [{"exc": requests.exceptions.ReadTimeout("lost")}, {"json": ex.LM_SEND_SINGLE}])
        m.get(EMAILS, json=old)
        dag_run = run(dag)
    assert posts(m) == 2
    assert xcom(dag_run, "send")["sends"][0]["adopted"] is False


def test_batches_already_sent_are_adopted_without_any_request() -> None:
    recipients = ", ".join(f"r{i}@example.com" for i in range(12))  # two batches: 10 + 2
    dag = email_dag("eo_batches", recipients)
    with rm.Mocker() as m:
        m.post(
            SEND,
            [
                {"json": {**ex.LM_SEND_MULTI, "data": {**ex.LM_SEND_MULTI["data"], "tracking_id": "cm_batch1"}}},
                {"exc": requests.exceptions.ConnectionError("Connection aborted.", ConnectionResetError())},
                {"json": {**ex.LM_SEND_MULTI, "data": {**ex.LM_SEND_MULTI["data"], "tracking_id": "cm_batch2"}}},
            ],
        )
        m.get(EMAILS, json={"success": True, "count": 0, "limit": 25, "max_limit": 25, "emails": []})
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 1)
    sent = [len(r.json()["recipient"].split(",")) for r in m.request_history if r.method == "POST"]
    assert sent == [10, 2, 2]  # the lost batch was provably absent, so it alone went again
    summary = xcom(dag_run, "send")
    assert summary["parent_tracking_ids"] == ["cm_batch1", "cm_batch2"]
    assert [s["adopted"] for s in summary["sends"]] == [False, False]


def test_on_retry_fail_stops_instead_of_looking_up() -> None:
    dag = email_dag("eo_fail", on_retry="fail")
    with rm.Mocker() as m:
        m.post(SEND, exc=requests.exceptions.ReadTimeout("lost"))
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("failed", 2)
    assert posts(m) == 1
    assert not any(r.method == "GET" for r in m.request_history)


def test_sms_with_unknown_outcome_is_not_resent_by_default() -> None:
    dag = sms_dag("eo_sms_unknown")
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", exc=requests.exceptions.ReadTimeout("lost"))
        dag_run = run(dag)
    assert states(dag_run)["sms"] == ("failed", 2)
    assert posts(m, "/api/sms/send") == 1


def test_sms_with_unknown_outcome_is_resent_when_the_user_opts_in() -> None:
    dag = sms_dag("eo_sms_resend", on_retry="resend")
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", [{"exc": requests.exceptions.ReadTimeout("lost")}, {"json": ex.LM_SMS_SEND}])
        dag_run = run(dag)
    assert states(dag_run)["sms"] == ("success", 2)
    assert posts(m, "/api/sms/send") == 2


def test_sms_refused_before_processing_is_sent_on_retry() -> None:
    dag = sms_dag("eo_sms_503")
    with rm.Mocker() as m:  # four 503s exhaust the hook's own retries (max_retries=3) in try 1
        m.post(f"{LM_URL}/api/sms/send", [{"status_code": 503}] * 4 + [{"json": ex.LM_SMS_SEND}])
        dag_run = run(dag)
    assert states(dag_run)["sms"] == ("success", 2)
    assert posts(m, "/api/sms/send") == 5
    assert xcom(dag_run, "sms")["uuid"] == "..."


def test_a_third_lost_answer_is_resolved_and_the_next_try_sends_without_a_look_up() -> None:
    dag = email_dag("eo_three_lost")
    lost = {"exc": requests.exceptions.ReadTimeout("lost")}
    with rm.Mocker() as m:
        m.post(SEND, [lost, lost, lost, {"json": ex.LM_SEND_SINGLE}])
        m.get(EMAILS, json={"success": True, "count": 0, "limit": 25, "max_limit": 25, "emails": []})
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 2)
    assert posts(m) == 4  # three lost, each proven absent; the fourth went out on the next try
    history = [(r.method, r.path) for r in m.request_history]
    assert history.count(("GET", "/api/emails")) == 3  # the next try trusted the recorded proof: no look-up
    assert history[-1] == ("POST", "/api/send")
    assert xcom(dag_run, "send")["tracking_ids"] == {"example@example.com": "cm_xxx"}


def test_a_third_lost_answer_that_went_out_is_adopted_in_the_same_try() -> None:
    dag = email_dag("eo_three_lost_found")
    lost = {"exc": requests.exceptions.ReadTimeout("lost")}
    empty = {"json": {"success": True, "count": 0, "limit": 25, "max_limit": 25, "emails": []}}
    with rm.Mocker() as m:
        m.post(SEND, [lost, lost, lost])
        m.get(EMAILS, [empty, empty, {"json": listed("cm_third")}])
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 1)
    assert posts(m) == 3
    assert xcom(dag_run, "send")["sends"][0]["adopted"] is True
