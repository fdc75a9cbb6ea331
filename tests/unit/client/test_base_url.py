"""The connection forms users write, and the base URL each one gives.

The natural URI for the sandbox, ``legitmailer://:KEY@127.0.0.1:PORT/legitmailer``, reaches
``http://127.0.0.1:PORT/legitmailer``: Airflow keeps the path as the schema field, which becomes a path
prefix, and a loopback host without a scheme is spoken to in plain http. Every other host gets https.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook

KEY = "key/+=42"


def base_url(monkeypatch: pytest.MonkeyPatch, conn: str, hook: type[LegitmailerHook | LegallyMailHook]) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_FORM", conn)
    return hook("form").settings.base_url


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"legitmailer://:{quote(KEY, safe='')}@127.0.0.1:8080/legitmailer", "http://127.0.0.1:8080/legitmailer"),
        ("legitmailer://:k@localhost:8080/legitmailer", "http://localhost:8080/legitmailer"),
        ("legitmailer://:k@[::1]:8080/legitmailer", "http://[::1]:8080/legitmailer"),
        ("legitmailer://:k@127.0.0.1:8080/sandbox%2Flegitmailer", "http://127.0.0.1:8080/sandbox/legitmailer"),
        ("legitmailer://:k@127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("legitmailer://:k@127.0.0.1:8443/https", "https://127.0.0.1:8443"),
        ("legitmailer://:k@api.example.com/v2", "https://api.example.com/v2"),
        ("legitmailer://:k@api.example.com:8443", "https://api.example.com:8443"),
        ("legitmailer://:k@api.example.com/https", "https://api.example.com"),
        ("legitmailer://:k@", "https://app.legitmailer.com"),
        ("legitmailer://:k@/?timeout=5", "https://app.legitmailer.com"),
    ],
)
def test_natural_uri_forms(monkeypatch: pytest.MonkeyPatch, uri: str, expected: str) -> None:
    assert base_url(monkeypatch, uri, LegitmailerHook) == expected


def test_the_natural_uri_reads_the_key_and_the_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"legitmailer://:{quote(KEY, safe='')}@127.0.0.1:8080/legitmailer?max_retries=0&timeout=2"
    monkeypatch.setenv("AIRFLOW_CONN_FORM", uri)
    settings = LegitmailerHook("form").settings
    assert (settings.token, settings.max_retries, settings.timeout, settings.conn_id) == (KEY, 0, 2.0, "form")


@pytest.mark.parametrize(
    ("conn", "expected"),
    [
        (
            f"legallymail://:k@{quote('http://127.0.0.1:8080/legallymail', safe='')}",
            "http://127.0.0.1:8080/legallymail",
        ),
        (f"legallymail://:k@{quote('https://api.example.com/v2/', safe='')}", "https://api.example.com/v2"),
        (json.dumps({"conn_type": "legallymail", "host": "http://127.0.0.1:8080/legallymail", "password": "k"}), None),
        (json.dumps({"conn_type": "legallymail", "host": "127.0.0.1", "port": 8080, "password": "k"}), None),
        (
            json.dumps(
                {
                    "conn_type": "legallymail",
                    "host": "127.0.0.1",
                    "port": 8080,
                    "schema": "legallymail",
                    "password": "k",
                }
            ),
            "http://127.0.0.1:8080/legallymail",
        ),
        (
            json.dumps(
                {"conn_type": "legallymail", "host": "http://127.0.0.1:8080", "schema": "legallymail", "password": "k"}
            ),
            "http://127.0.0.1:8080/legallymail",
        ),
    ],
)
def test_existing_forms_keep_working(monkeypatch: pytest.MonkeyPatch, conn: str, expected: str | None) -> None:
    fallback = "http://127.0.0.1:8080/legallymail" if "/legallymail" in conn else "http://127.0.0.1:8080"
    assert base_url(monkeypatch, conn, LegallyMailHook) == (expected or fallback)


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ("legitmailer://:k@api.example.com/http", "plain http:// is refused for 'api.example.com'"),
        (
            json.dumps({"conn_type": "legitmailer", "host": "http://127.0.0.1:1/a", "schema": "b", "password": "k"}),
            "has the path '/a' and the schema field gives another, '/b'",
        ),
        (json.dumps({"conn_type": "legitmailer", "host": "evil.example\\@127.0.0.1", "password": "k"}), "backslash"),
    ],
)
def test_unusable_forms_name_the_connection_and_the_field(
    monkeypatch: pytest.MonkeyPatch, conn: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"^connection 'form': host: ") as info:
        base_url(monkeypatch, conn, LegitmailerHook)
    assert message in str(info.value)
