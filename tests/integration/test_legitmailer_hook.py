"""Every ``LegitmailerHook`` method against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_legallymail.exceptions import NotFoundError, ValidationError
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer


def test_test_connection_and_templates(lt_hook: LegitmailerHook) -> None:
    assert lt_hook.test_connection() == (True, "Connected: 3 template(s) available")
    templates = {t.name: t.template_id for t in lt_hook.list_templates()}
    assert templates["registration"] == "cmVnaXN0cmF0aW9u"
    template = lt_hook.get_template(templates["welcome"])
    assert (template.name, template.tokens, template.content_type) == ("welcome", ["name"], "text/html")
    with pytest.raises(NotFoundError):
        lt_hook.get_template("bm9wZQ")


def test_send_email_and_template_email(sandbox: SandboxServer, lt_hook: LegitmailerHook) -> None:
    plain = lt_hook.send_email("info@example.com", "ana@example.com", "hello", "FYI", content_type="text/plain")
    templated = lt_hook.send_template_email("welcome", "ana@example.com", {"name": "Ana"}, validate=True)
    sent = sandbox.legitmailer_sent()
    assert [s["tracking_id"] for s in sent] == [plain.tracking_id, templated.tracking_id]
    assert (sent[0]["content_type"], sent[0]["body"]) == ("text/plain", "FYI")
    assert sent[1]["body"] == "<p>Hi Ana, welcome aboard!</p>" and sent[1]["validate"] is True


def test_template_errors_are_typed(sandbox: SandboxServer, lt_hook: LegitmailerHook) -> None:
    with pytest.raises(ValidationError) as missing:
        lt_hook.send_template_email("contract-reminder", "ana@example.com", {"name": "Ana"})
    assert missing.value.status_code == 400 and "due_date" in str(missing.value)
    with pytest.raises(NotFoundError):
        lt_hook.send_template_email("nope", "ana@example.com", {})
    with pytest.raises(ValidationError):
        lt_hook.send_email("info@example.com", "ana+invalid@example.com", "s", "b", validate=True)
    assert sandbox.legitmailer_sent() == []


def test_template_batch(sandbox: SandboxServer, lt_hook: LegitmailerHook) -> None:
    receipt = lt_hook.send_template_batch(
        "registration",
        [
            {"email": "a@example.com", "token_map": {"username": "ana"}},
            {"email": "b@example.com", "token_map": {"username": "bo"}},
        ],
    )
    sent = sandbox.legitmailer_sent()
    assert receipt.tracking_ids == [s["tracking_id"] for s in sent]
    assert ["hi ana," in sent[0]["body"], "hi bo," in sent[1]["body"]] == [True, True]
    with pytest.raises(ValidationError, match=r"emailList\[1\]"):
        lt_hook.send_template_batch(
            "registration",
            [{"email": "c@example.com", "token_map": {"username": "c"}}, {"email": "d@example.com", "token_map": {}}],
        )
    assert len(sandbox.legitmailer_sent()) == 2


def test_delayed_sends_and_cancellation(sandbox: SandboxServer, lt_hook: LegitmailerHook) -> None:
    kept = lt_hook.queue_email("info@example.com", "ana@example.com", "later", "FYI", delay=timedelta(minutes=5))
    cancelled = lt_hook.queue_template_email("welcome", "bo@example.com", {"name": "Bo"}, delay=60)
    assert kept.request_id and cancelled.request_id
    lt_hook.cancel_queued_email(cancelled.request_id)
    sandbox.advance(299)
    assert sandbox.legitmailer_sent() == []
    sandbox.advance(1)
    assert [s["request_id"] for s in sandbox.legitmailer_sent()] == [kept.request_id]
    with pytest.raises(ValidationError, match="already sent"):
        lt_hook.cancel_queued_email(kept.request_id)
    with pytest.raises(ValidationError, match="already cancelled"):
        lt_hook.cancel_queued_email(cancelled.request_id)


def test_contact_round_trip(lt_hook: LegitmailerHook) -> None:
    lists = {c.name: c for c in lt_hook.list_contact_lists()}
    newsletter = lists["newsletter"].contact_list_id
    assert lists["newsletter"].size == 0 and lists["newsletter"].created_on is not None
    added = lt_hook.add_contact(newsletter, "c-1", "ana@example.com", {"first_name": "Ana", "city": "Madrid"})
    assert added["customerId"] == "c-1"
    contact = lt_hook.get_contact(newsletter, "c-1")
    assert (contact.contact_list_name, contact.email, contact.data) == (
        "newsletter",
        "ana@example.com",
        [{"first_name": "Ana"}, {"city": "Madrid"}],
    )
    assert {c.name: c.size for c in lt_hook.list_contact_lists()}["newsletter"] == 1
    lt_hook.update_contact(newsletter, "c-1", "info@example.com", [{"city": "Sevilla"}])
    assert lt_hook.get_contact(newsletter, "c-1").data == [{"city": "Sevilla"}]
    with pytest.raises(ValidationError, match="already exists"):
        lt_hook.add_contact(newsletter, "c-1", "ana@example.com", {})
    with pytest.raises(ValidationError, match="unknown column"):
        lt_hook.add_contact(newsletter, "c-2", "ana@example.com", {"plan": "gold"})
    lt_hook.delete_contact(newsletter, "c-1")
    with pytest.raises(NotFoundError):
        lt_hook.get_contact(newsletter, "c-1")
    with pytest.raises(NotFoundError):
        lt_hook.delete_contact("bm9wZQ", "c-1")
