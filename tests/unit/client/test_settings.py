"""Connections -> settings: defaults, every extra, JSON and URI env-var forms, clear errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from tests.conftest import TOKEN, conn_json


def test_legallymail_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", '{"conn_type": "legallymail", "password": "abcdef"}')
    settings = LegallyMailHook().settings
    assert settings.base_url == "https://legallymail.com"
    assert (settings.timeout, settings.max_retries, settings.requests_per_minute) == (30.0, 3, 10)
    assert (settings.timezone, settings.token_in_body, settings.max_recipients) == ("Europe/Madrid", False, 10)
    assert settings.rate_window == 60.0


def test_legitmailer_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_LEGITMAILER_DEFAULT", '{"conn_type": "legitmailer", "password": "abcdef"}')
    settings = LegitmailerHook().settings
    assert settings.base_url == "https://app.legitmailer.com"
    assert (settings.requests_per_minute, settings.timezone) == (0, "UTC")


def test_uri_form_with_string_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = (
        f"legallymail://:{TOKEN}@api.example.com:8443/?timeout=5&max_retries=1&requests_per_minute=0"
        "&timezone=UTC&credentials_in_body=true&max_recipients=20"
    )
    monkeypatch.setenv("AIRFLOW_CONN_FROM_URI", uri)
    settings = LegallyMailHook("from_uri").settings
    assert settings.base_url == "https://api.example.com:8443"
    assert settings.token == TOKEN
    assert (settings.timeout, settings.max_retries, settings.requests_per_minute) == (5.0, 1, 0)
    assert (settings.timezone, settings.token_in_body, settings.max_recipients) == ("UTC", True, 20)


def test_uri_form_with_scheme_in_host_and_a_path_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    host = quote("http://127.0.0.1:8080/legallymail", safe="")
    monkeypatch.setenv("AIRFLOW_CONN_LOCAL", f"legallymail://:{TOKEN}@{host}")
    assert LegallyMailHook("local").settings.base_url == "http://127.0.0.1:8080/legallymail"


def test_schema_field_selects_http_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_LOOP",
        '{"conn_type": "legitmailer", "host": "localhost", "schema": "http", "port": 9000, "password": "abcdef"}',
    )
    assert LegitmailerHook("loop").settings.base_url == "http://localhost:9000"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"timeout": "abc"}, "extra 'timeout': 'abc' is not a number"),
        ({"timeout": 0}, "extra 'timeout'"),
        ({"max_retries": -1}, "extra 'max_retries'"),
        ({"max_retries": 1.5}, "extra 'max_retries': 1.5 is not a whole number"),
        ({"requests_per_minute": "ten"}, "extra 'requests_per_minute'"),
        ({"timezone": "Mars/Olympus"}, "extra 'timezone': 'Mars/Olympus' is not a known"),
        ({"credentials_in_body": "maybe"}, "extra 'credentials_in_body'"),
        ({"token_in_body": "maybe"}, "extra 'token_in_body'"),
        ({"max_recipients": 0}, "extra 'max_recipients'"),
        ({"rate_window": 0}, "extra 'rate_window': 0 is below the minimum"),
    ],
)
def test_bad_extras_name_the_extra(monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], message: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BAD", conn_json("legallymail", "https://legallymail.com", **extra))
    with pytest.raises(ConfigurationError, match=message):
        LegallyMailHook("bad").get_conn()


def test_credentials_in_body_is_legallymail_only(monkeypatch: pytest.MonkeyPatch) -> None:
    lt_url = "https://app.legitmailer.com"
    monkeypatch.setenv("AIRFLOW_CONN_BAD", conn_json("legitmailer", lt_url, credentials_in_body=True))
    with pytest.raises(ConfigurationError, match="extra 'credentials_in_body': not supported by legitmailer"):
        LegitmailerHook("bad").get_conn()


@pytest.mark.parametrize(("legacy", "expected"), [(True, True), ("true", True), (False, False), ("off", False)])
def test_the_former_name_token_in_body_is_still_read(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, legacy: object, expected: bool
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_OLD", conn_json("legallymail", "https://legallymail.com", token_in_body=legacy))
    with caplog.at_level("WARNING"):
        assert LegallyMailHook("old").settings.token_in_body is expected
    assert "rename it to 'credentials_in_body'" in caplog.text


def test_the_new_name_wins_over_the_former_one(monkeypatch: pytest.MonkeyPatch) -> None:
    both = conn_json("legallymail", "https://legallymail.com", credentials_in_body=False, token_in_body="***")
    monkeypatch.setenv("AIRFLOW_CONN_BOTH", both)
    assert LegallyMailHook("both").settings.token_in_body is False


def test_a_masked_token_in_body_saved_by_the_ui_form_is_an_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SAVED", conn_json("legallymail", "https://legallymail.com", token_in_body="***"))
    with pytest.raises(ConfigurationError) as raised:
        LegallyMailHook("saved").get_conn()
    message = str(raised.value)
    assert "extra 'token_in_body': '***' is the mask" in message
    assert "set the extra 'credentials_in_body' (true or false)" in message


def test_missing_token_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NOTOKEN", '{"conn_type": "legallymail"}')
    with pytest.raises(ConfigurationError, match="token"):
        LegallyMailHook("notoken").get_conn()


def test_test_connection_reports_a_missing_connection() -> None:
    ok, message = LegallyMailHook("does_not_exist").test_connection()
    assert not ok and "does_not_exist" in message


def test_sandbox_speed_is_read_and_refused_below_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    local = "http://127.0.0.1:1"
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", local, sandbox_speed=60))
    assert LegallyMailHook().settings.sandbox_speed == 60.0
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", local, sandbox_speed=0.5))
    with pytest.raises(ConfigurationError, match=r"extra 'sandbox_speed'.*below the minimum 1"):
        _ = LegallyMailHook().settings
