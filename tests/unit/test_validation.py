"""Every client-side rule rejects bad input with an error naming the field, and sends zero requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from tests.conftest import conn_json

PDF = b"%PDF-1.7\n" + b"0" * 100
SIGNER = {"name": "Ana", "email": "ana@example.com"}


@pytest.fixture
def mocker() -> Iterator[rm.Mocker]:
    with rm.Mocker() as m:  # no URL registered: any request would fail the test loudly
        yield m


@pytest.fixture
def lm(lm_conn: str) -> LegallyMailHook:
    return LegallyMailHook()


@pytest.fixture
def lt(lt_conn: str) -> LegitmailerHook:
    return LegitmailerHook()


LM_CASES: list[tuple[str, Callable[[LegallyMailHook], Any], str]] = [
    ("bad address", lambda h: h.send_email("not-an-address", "s", "h"), r"recipients\[0\]: 'not-an-address'"),
    ("no recipients", lambda h: h.send_email([], "s", "h"), "recipients: at least one"),
    (
        "11 recipients",
        lambda h: h.send_email([f"r{i}@example.com" for i in range(11)], "s", "h"),
        "recipients: 11 recipients given; at most 10",
    ),
    ("empty subject", lambda h: h.send_email("a@example.com", " ", "h"), "subject: must not be empty"),
    ("empty html", lambda h: h.send_email("a@example.com", "s", ""), "html: must not be empty"),
    ("bad reply_to", lambda h: h.send_email("a@example.com", "s", "h", reply_to="x@"), "reply_to"),
    (
        "bytes attachment without filename",
        lambda h: h.send_email("a@example.com", "s", "h", attachments=[b"data"]),
        r"attachments\[0\].filename",
    ),
    (
        "missing attachment file",
        lambda h: h.send_email("a@example.com", "s", "h", attachments=["/nonexistent/x.pdf"]),
        r"attachments\[0\]: cannot read",
    ),
    ("301-char SMS", lambda h: h.send_sms("+34600000000", "x" * 301), "message: 301 characters; at most 300"),
    ("empty SMS", lambda h: h.send_sms("+34600000000", ""), "message: must not be empty"),
    ("national phone", lambda h: h.send_sms("600000000", "hi"), "phone: '600000000' is not a phone number"),
    ("letters in phone", lambda h: h.send_sms("+34abc", "hi"), "phone"),
    (
        "non-PDF document",
        lambda h: h.request_signature(b"hello world", "c.pdf", [SIGNER]),
        "document: not a PDF",
    ),
    (
        "12 MB document",
        lambda h: h.request_signature(b"%PDF-" + b"0" * (12 * 1024 * 1024), "c.pdf", [SIGNER]),
        "document: .* at most 10485760 bytes",
    ),
    ("empty document", lambda h: h.request_signature(b"", "c.pdf", [SIGNER]), "document: the document is empty"),
    (
        "6 signers",
        lambda h: h.request_signature(PDF, "c.pdf", [SIGNER] * 6),
        "signers: 6 signers given; between 1 and 5",
    ),
    ("no signers", lambda h: h.request_signature(PDF, "c.pdf", []), "signers: 0 signers"),
    (
        "signer without email",
        lambda h: h.request_signature(PDF, "c.pdf", [{"name": "Ana"}]),
        r"signers\[0\].email",
    ),
    (
        "signer without name",
        lambda h: h.request_signature(PDF, "c.pdf", [{"email": "a@example.com"}]),
        r"signers\[0\].name",
    ),
    (
        "bad signer phone",
        lambda h: h.request_signature(PDF, "c.pdf", [{**SIGNER, "phone": "12"}]),
        r"signers\[0\].phone",
    ),
    (
        "unknown language",
        lambda h: h.request_signature(PDF, "c.pdf", [SIGNER], language="de"),
        "language: 'de' is not one of es, en, fr, it",
    ),
    ("no document name", lambda h: h.request_signature(PDF, None, [SIGNER]), "document_name"),
    ("limit 0", lambda h: h.list_emails(limit=0), "limit: 0 is out of range 1..25"),
    ("limit 26", lambda h: h.list_signatures(limit=26), "limit: 26 is out of range 1..25"),
    ("empty tracking id", lambda h: h.get_email(""), "tracking_id: must not be empty"),
    ("empty uuid", lambda h: h.get_signature(" "), "uuid: must not be empty"),
    ("empty sms uuid", lambda h: h.get_sms(""), "uuid: must not be empty"),
]


@pytest.mark.parametrize(("case", "call", "message"), LM_CASES, ids=[c[0] for c in LM_CASES])
def test_legallymail_rejects_before_sending(
    lm: LegallyMailHook, mocker: rm.Mocker, case: str, call: Callable[[LegallyMailHook], Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        call(lm)
    assert mocker.call_count == 0
    assert info.value.field is not None and str(info.value).startswith(info.value.field)
    assert info.value.status_code is None


LT_CASES: list[tuple[str, Callable[[LegitmailerHook], Any], str]] = [
    ("bad from", lambda h: h.send_email("nope", "t@example.com", "s", "b"), "from_address"),
    ("bad to", lambda h: h.send_email("f@example.com", "t@", "s", "b"), "to_address"),
    (
        "content type",
        lambda h: h.send_email("f@example.com", "t@example.com", "s", "b", content_type="text/rtf"),
        "content_type: 'text/rtf' is not one of text/html, text/plain",
    ),
    ("token map not a mapping", lambda h: h.send_template_email("t", "a@example.com", ["x"]), "token_map"),  # type: ignore[arg-type]
    ("empty template", lambda h: h.send_template_email("", "a@example.com", {}), "template: must not be empty"),
    ("empty batch", lambda h: h.send_template_batch("t", []), "recipients: a non-empty list"),
    (
        "bad batch address",
        lambda h: h.send_template_batch("t", [{"email": "ok@example.com", "token_map": {}}, {"email": "bad"}]),
        r"recipients\[1\].email",
    ),
    (
        "zero delay",
        lambda h: h.queue_email("f@example.com", "t@example.com", "s", "b", delay=0),
        "delay: 0 seconds; the delay must be at least 1 second",
    ),
    (
        "delay of wrong type",
        lambda h: h.queue_template_email("t", "a@example.com", {}, delay="soon"),  # type: ignore[arg-type]
        "delay: expected a timedelta",
    ),
    ("empty request id", lambda h: h.cancel_queued_email(""), "request_id: must not be empty"),
    ("empty template id", lambda h: h.get_template(""), "template_id"),
    ("contact bad email", lambda h: h.add_contact("cl", "c", "x", {}), "email: 'x' is not a valid"),
    ("contact bad data", lambda h: h.update_contact("cl", "c", "a@example.com", "x"), "data: expected"),
    ("empty customer id", lambda h: h.get_contact("cl", ""), "customer_id: must not be empty"),
    ("empty list id", lambda h: h.delete_contact("", "c"), "contact_list_id: must not be empty"),
]


@pytest.mark.parametrize(("case", "call", "message"), LT_CASES, ids=[c[0] for c in LT_CASES])
def test_legitmailer_rejects_before_sending(
    lt: LegitmailerHook, mocker: rm.Mocker, case: str, call: Callable[[LegitmailerHook], Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        call(lt)
    assert mocker.call_count == 0


def test_max_recipients_follows_the_connection(monkeypatch: pytest.MonkeyPatch, mocker: rm.Mocker) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_RAISED", conn_json("legallymail", "https://legallymail.com", max_recipients=12))
    hook = LegallyMailHook("raised")
    mocker.post("https://legallymail.com/api/send", json={"success": True, "data": {"tracking_id": "p"}})
    hook.send_email([f"r{i}@example.com" for i in range(12)], "s", "h")
    with pytest.raises(ValidationError, match="13 recipients given; at most 12"):
        hook.send_email([f"r{i}@example.com" for i in range(13)], "s", "h")
    assert mocker.call_count == 1


def test_the_hook_and_the_operator_read_recipients_the_same_way() -> None:
    from airflow_provider_legallymail.validation import address_list, recipient_list

    rendered = "['a@example.com', 'b@example.com']"  # an XCom list rendered without | tojson
    assert address_list(rendered) == ["a@example.com", "b@example.com"]
    assert recipient_list(rendered, "recipients", 10) == ["a@example.com", "b@example.com"]
    assert recipient_list(iter(["a@example.com"]), "recipients", 10) == ["a@example.com"]
    with pytest.raises(ValidationError, match="recipients: expected a list"):
        recipient_list(42, "recipients", 10)
