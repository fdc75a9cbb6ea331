"""The token is masked, never logged, never in exception text, and never sent to another host."""

from __future__ import annotations

import logging

import pytest
import requests_mock as rm

from airflow_provider_legallymail.exceptions import ConfigurationError, MailApiError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from tests import api_examples as ex
from tests.conftest import LM_URL, TOKEN, conn_json


@pytest.fixture
def hook(lm_conn: str) -> LegallyMailHook:
    return LegallyMailHook()


def assert_no_token(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), *map(str, exc.args), str(getattr(exc, "api_message", ""))]
    assert not any(TOKEN in text for text in texts)


def test_token_is_registered_with_the_secrets_masker(hook: LegallyMailHook) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    hook.get_conn()
    assert redact(f"header Bearer {TOKEN}") == "header Bearer ***"


def test_token_never_in_logs_or_errors_even_when_the_api_echoes_it(
    hook: LegallyMailHook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"success": False, "message": f"token {TOKEN} is not valid"}
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/info", [{"status_code": 429, "headers": {"Retry-After": "1"}}, {"json": ex.LM_INFO}])
        m.post(f"{LM_URL}/api/send", [{"status_code": 503}, {"status_code": 401, "json": echo}])
        hook.get_account_info()
        with pytest.raises(MailApiError) as info:
            hook.send_email("a@example.com", "s", "h")
    assert "not valid" in str(info.value)
    assert_no_token(info.value)
    assert caplog.records, "the retries above should have logged"
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(hook.settings)


def test_credentials_in_body_is_scrubbed_from_an_error_that_echoes_the_request(
    monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BODY", conn_json("legallymail", LM_URL, credentials_in_body=True))
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/sms/send", status_code=400, text=f'{{"bad request": {{"token": "{TOKEN}"}}}}')
        with pytest.raises(MailApiError) as info:
            LegallyMailHook("body").send_sms("+34600000000", "hi")
    assert_no_token(info.value)


def test_download_from_another_host_never_receives_the_token(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get("https://cdn.example.net/certificate.pdf", content=b"%PDF-1.4")
        assert hook.download("https://cdn.example.net/certificate.pdf") == b"%PDF-1.4"
        # Same host name on another port is another origin too.
        m.get("https://legallymail.com:8443/x.pdf", content=b"%PDF-1.4")
        hook.download("https://legallymail.com:8443/x.pdf")
    assert all("Authorization" not in r.headers for r in m.request_history)


def test_a_redirect_from_our_host_to_another_drops_the_token(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/dashboard/x.pdf", status_code=302, headers={"Location": "https://s3.example.net/x.pdf"})
        m.get("https://s3.example.net/x.pdf", content=b"%PDF-1.4 signed")
        assert hook.download(f"{LM_URL}/dashboard/x.pdf") == b"%PDF-1.4 signed"
    first, second = m.request_history
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in second.headers


def test_api_calls_do_not_follow_redirects_to_other_hosts(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", status_code=307, headers={"Location": "https://evil.example/api/send"})
        with pytest.raises(MailApiError) as info:
            hook.send_email("a@example.com", "s", "h")
    assert info.value.status_code == 307
    assert [r.hostname for r in m.request_history] == ["legallymail.com"]


def test_plain_http_is_refused_for_remote_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PLAIN", conn_json("legallymail", "http://legallymail.com"))
    with rm.Mocker() as m, pytest.raises(ConfigurationError, match="plain http:// is refused"):
        LegallyMailHook("plain").get_account_info()
    assert m.call_count == 0


def test_plain_http_download_from_remote_host_is_refused(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m, pytest.raises(ConfigurationError, match="plain http"):
        hook.download("http://cdn.example.net/certificate.pdf")
    assert m.call_count == 0
