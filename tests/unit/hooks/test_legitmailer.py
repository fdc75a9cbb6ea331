"""LegitmailerHook at the HTTP boundary: snake_case in Python, the API's camelCase on the wire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
import pytest
import requests_mock as rm

from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from tests import api_examples as ex
from tests.conftest import LT_URL, TOKEN


@pytest.fixture
def hook(lt_conn: str) -> LegitmailerHook:
    return LegitmailerHook()


def last(m: rm.Mocker) -> Any:
    return m.request_history[-1]


def test_send_email_uses_camel_case_fields_and_bearer_key(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email", json=ex.LT_TRACKING)
        receipt = hook.send_email("from@example.com", "to@example.com", "Hi", "<b>x</b>", validate=True)
    assert last(m).headers["Authorization"] == f"Bearer {TOKEN}"
    assert last(m).headers["Content-Type"] == "application/json"
    assert last(m).json() == {
        "validate": True,
        "fromAddress": "from@example.com",
        "toAddress": "to@example.com",
        "subject": "Hi",
        "body": "<b>x</b>",
        "contentType": "text/html",
    }
    assert receipt.tracking_id == "tr-1"


def test_send_template_email(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template", json=ex.LT_TRACKING)
        receipt = hook.send_template_email("registration", "ana@example.com", {"username": "ana"})
    assert last(m).json() == {
        "validate": False,
        "template": "registration",
        "email": "ana@example.com",
        "tokenMap": {"username": "ana"},
    }
    assert receipt.tracking_id == "tr-1"


def test_send_template_batch_builds_email_list(hook: LegitmailerHook) -> None:
    recipients = [
        {"email": "a@example.com", "token_map": {"username": "a"}},
        {"email": "b@example.com", "token_map": {"username": "b"}},
    ]
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/batch/email/template", json={"trackingIds": ["t1", "t2"]})
        receipt = hook.send_template_batch("registration", recipients)
    assert last(m).json() == {
        "validate": False,
        "template": "registration",
        "emailList": [
            {"email": "a@example.com", "tokenMap": {"username": "a"}},
            {"email": "b@example.com", "tokenMap": {"username": "b"}},
        ],
    }
    assert receipt.tracking_ids == ["t1", "t2"]


def test_queue_email_sends_delay_in_seconds_from_timedelta(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/delayed", json=ex.LT_REQUEST)
        queued = hook.queue_email(
            "from@example.com", "to@example.com", "S", "b", delay=timedelta(minutes=5), content_type="text/plain"
        )
    body = last(m).json()
    assert body["delay"] == 300
    assert body["contentType"] == "text/plain"
    assert queued.request_id == "rq-1"


def test_queue_template_email_accepts_seconds_and_either_answer_key(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LT_URL}/api/email/template/delayed", json={"trackingId": "tr-9"})
        queued = hook.queue_template_email("welcome", "a@example.com", {"first_name": "A"}, delay=90)
    assert last(m).json() == {
        "validate": False,
        "template": "welcome",
        "email": "a@example.com",
        "tokenMap": {"first_name": "A"},
        "delay": 90,
    }
    assert queued.request_id == "tr-9"


def test_cancel_queued_email_deletes_by_request_id(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.delete(f"{LT_URL}/api/email/delayed/rq%2F1", status_code=204)
        hook.cancel_queued_email("rq/1")
    assert last(m).method == "DELETE"


def test_cancel_of_an_email_already_sent_raises_validation_error(hook: LegitmailerHook) -> None:
    from airflow_provider_legallymail.exceptions import ValidationError

    with rm.Mocker() as m:
        m.delete(f"{LT_URL}/api/email/delayed/rq-1", status_code=400, json={"message": "already sent"})
        with pytest.raises(ValidationError, match="already sent") as info:
            hook.cancel_queued_email("rq-1")
    assert info.value.status_code == 400
    assert m.call_count == 1


def test_templates_list_and_detail(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LT_URL}/api/template/list", json=ex.LT_TEMPLATES)
        m.get(f"{LT_URL}/api/template/cmVn", json=ex.LT_TEMPLATE)
        templates = hook.list_templates()
        template = hook.get_template(templates[0].template_id)
    assert [(t.name, t.template_id) for t in templates] == [("registration", "cmVn")]
    assert template.tokens == ["username"]
    assert template.from_email == "noreply@example.com"
    assert template.content_type == "text/html"


def test_template_tokens_fall_back_to_placeholders_in_body(hook: LegitmailerHook) -> None:
    detail = {**ex.LT_TEMPLATE, "tokens": None, "body": "${a} and ${b} and ${a}"}
    with rm.Mocker() as m:
        m.get(f"{LT_URL}/api/template/x", json=detail)
        assert hook.get_template("x").tokens == ["a", "b"]


def test_contact_lists_and_contact_round_trip(hook: LegitmailerHook) -> None:
    path = f"{LT_URL}/api/contactlist/cl-1/contact/c-1"
    with rm.Mocker() as m:
        m.get(f"{LT_URL}/api/contactlist", json=ex.LT_CONTACT_LISTS)
        m.post(path, json={})
        m.get(path, json=ex.LT_CONTACT)
        m.put(path, json={})
        m.delete(path, status_code=204)
        lists = hook.list_contact_lists()
        hook.add_contact("cl-1", "c-1", "ana@example.com", {"name": "contact"})
        assert last(m).json() == {"email": "ana@example.com", "data": [{"name": "contact"}]}
        contact = hook.get_contact("cl-1", "c-1")
        hook.update_contact("cl-1", "c-1", "ana@example.org", [{"name": "other"}])
        assert last(m).method == "PUT"
        assert last(m).json() == {"email": "ana@example.org", "data": [{"name": "other"}]}
        hook.delete_contact("cl-1", "c-1")
        assert last(m).method == "DELETE"
    assert lists[0].contact_list_id == "cl-1"
    assert lists[0].created_on == pendulum.datetime(2019, 6, 26, 5, 11, 47, tz="UTC")
    assert (contact.contact_list_name, contact.customer_id, contact.email) == ("customers", "c-1", "ana@example.com")
    assert contact.data == [{"name": "contact"}]


def test_test_connection_lists_templates_only(hook: LegitmailerHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LT_URL}/api/template/list", json=ex.LT_TEMPLATES)
        ok, message = hook.test_connection()
    assert ok and "1 template" in message
    assert [r.method for r in m.request_history] == ["GET"]
