"""The token never shows in an error or a log line, whatever form the server echoes it in.

Every token of the corpus (letters, ``/+=``, ``-_.~``, quotes, backslashes, Unicode, spaces...) is echoed
raw, JSON-escaped (with ``\\/`` and ``\\uXXXX``), URL-encoded and HTML-escaped, through every place that
builds error text: status errors, the API's message, transport errors, downloads, ``success: false``.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
import requests
import requests_mock as rm

from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.transport import ApiClient
from airflow_provider_legallymail.exceptions import MailApiError, error_for_status
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.redaction import scrub
from tests.conftest import conn_json
from tests.unit.client.token_corpus import FORMS, TOKENS, error_bodies, exception_leaks, leaks

BASE = "https://legallymail.com"
BODY_KINDS = list(error_bodies("x"))


def client(token: str, max_retries: int = 0) -> ApiClient:
    settings = ClientSettings(base_url=BASE, token=token, max_retries=max_retries, requests_per_minute=0)
    return ApiClient(settings, sleep=lambda _: None)


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_scrub_replaces_every_form_and_keeps_the_rest(token: str, form: str) -> None:
    echoed = FORMS[form](token)
    assert scrub(f"Invalid token {echoed} given", token) == "Invalid token *** given"


@pytest.mark.parametrize("kind", BODY_KINDS)
@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_an_error_answer_echoing_the_token_shows_it_nowhere(
    token: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = error_bodies(token)[kind]
    with rm.Mocker() as m:
        m.get(f"{BASE}/api/info", [{"status_code": 503, "text": body}, {"status_code": 401, "text": body}])
        with pytest.raises(MailApiError) as info:
            client(token, max_retries=1).request("GET", "/api/info")
    assert info.value.status_code == 401
    assert "Invalid token ***" in str(info.value) or "token=***" in str(info.value)
    assert exception_leaks(info.value, token) == []
    assert caplog.records and leaks(caplog.text, token) == []


@pytest.mark.parametrize("status", [400, 403, 404, 405, 429, 500, 502])
def test_every_status_error_of_a_send_is_scrubbed(status: int) -> None:
    token = TOKENS["everything"]
    with rm.Mocker() as m:
        m.post(f"{BASE}/api/send", status_code=status, text=error_bodies(token)["json-php"])
        with pytest.raises(MailApiError) as info:
            client(token).request("POST", "/api/send", json={"recipient": "a@example.com"})
    assert info.value.status_code == status
    assert exception_leaks(info.value, token) == []


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_error_for_status_and_api_message_are_scrubbed_once_settings_hold_the_token(token: str) -> None:
    ClientSettings(base_url=BASE, token=token)  # reading a connection registers its token
    error = error_for_status(401, method="GET", endpoint="/api/info", body=error_bodies(token)["json-php"])
    assert error.api_message is not None and error.api_message.startswith("Invalid token ***")
    assert exception_leaks(error, token) == []


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_a_mail_api_error_built_anywhere_is_scrubbed(token: str) -> None:
    ClientSettings(base_url=BASE, token=token)
    echoed = " | ".join(form(token) for form in FORMS.values())
    error = MailApiError(f"failed: {echoed}", endpoint=f"/files/{quote(token)}", api_message=echoed)
    assert exception_leaks(error, token) == []


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_a_success_false_answer_echoing_the_token_is_scrubbed(
    token: str, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ECHO", conn_json("legallymail", BASE, token=token, requests_per_minute=0))
    with rm.Mocker() as m:
        m.get(
            f"{BASE}/api/info", text=error_bodies(token)["json-php"].replace('"message"', '"success": false, "message"')
        )
        with pytest.raises(MailApiError) as info:
            LegallyMailHook("echo").get_account_info()
    assert str(info.value).endswith("Invalid token ***")
    assert exception_leaks(info.value, token) == []


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_transport_errors_of_a_url_holding_the_token_are_scrubbed(token: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{BASE}/files/{quote(token, safe='')}/certificate.pdf"
    with rm.Mocker() as m:
        m.get(url, exc=requests.exceptions.ConnectionError("connection reset by peer"))
        with pytest.raises(MailApiError) as info:
            client(token, max_retries=1).download(url)
    assert "/files/***/certificate.pdf" in str(info.value)
    assert exception_leaks(info.value, token) == []
    assert caplog.records and leaks(caplog.text, token) == []


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_download_errors_are_scrubbed(token: str) -> None:
    with rm.Mocker() as m:
        m.get(f"{BASE}/x.pdf", status_code=403, text=error_bodies(token)["json"])
        with pytest.raises(MailApiError) as denied:
            client(token).download(f"{BASE}/x.pdf")
    assert denied.value.status_code == 403
    assert exception_leaks(denied.value, token) == []


def test_test_connection_reports_without_the_token(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    token = TOKENS["everything"]
    monkeypatch.setenv("AIRFLOW_CONN_ECHO", conn_json("legallymail", BASE, token=token, requests_per_minute=0))
    with rm.Mocker() as m:
        m.get(f"{BASE}/api/info", status_code=401, text=error_bodies(token)["json-utf8"])
        ok, message = LegallyMailHook("echo").test_connection()
    assert not ok and "Invalid token ***" in message
    assert leaks(message, token) == []
