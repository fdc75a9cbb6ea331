"""A connection that cannot be reached says which connection and URL, and why, in words a user can act on.

Refused (a closed port), TLS (https to the sandbox's plain-http port), timed out (a server that accepts
and never answers) and DNS (a ``.invalid`` host, which fails locally without network). The first retry's
log line says how many retries may follow and how long they may take.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator

import pytest

from airflow_provider_legallymail.exceptions import ConnectionFailedError, MailApiError, OutcomeUnknownError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer

KEY = "err-key/+=-1234"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose server accepts connections (the kernel does) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


def use(monkeypatch: pytest.MonkeyPatch, conn_id: str, conn: dict[str, object]) -> None:
    extra = {"requests_per_minute": 0, **conn.pop("extra", {})}  # type: ignore[dict-item]
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"password": KEY, **conn, "extra": extra}))


def assert_names_connection_and_url(error: BaseException, conn_id: str, url: str) -> None:
    text = str(error)
    assert f"connection {conn_id!r}" in text
    assert url in text
    assert KEY not in text and KEY not in repr(error)


def test_refused(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SANDBOX_LT", f"legitmailer://:{KEY.replace('/', '%2F')}@127.0.0.1:{closed_port}/legitmailer"
    )
    with pytest.raises(ConnectionFailedError) as info:
        LegitmailerHook("sandbox_lt").list_templates()
    assert_names_connection_and_url(
        info.value, "sandbox_lt", f"http://127.0.0.1:{closed_port}/legitmailer/api/template/list"
    )
    assert "refused" in str(info.value)
    assert "gave up after 4 attempt(s)" in str(info.value)
    first = re.search(r"retrying up to (\d+) more time\(s\) over at most ~(\d+)s", caplog.text)
    assert first is not None, caplog.text
    assert int(first[1]) == 3 == len(sleeps)
    assert sum(sleeps) <= int(first[2]) <= 1 + 2 + 4 + 1  # the backoff ceilings, rounded up
    assert KEY not in caplog.text


def test_tls_to_a_plain_http_port(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, sleeps: list[float]) -> None:
    https = f"https://127.0.0.1:{sandbox.port}/legitmailer"
    use(monkeypatch, "tls", {"conn_type": "legitmailer", "host": https, "extra": {"max_retries": 1}})
    with pytest.raises(ConnectionFailedError) as info:
        LegitmailerHook("tls").list_templates()
    assert_names_connection_and_url(info.value, "tls", f"{https}/api/template/list")
    assert "TLS" in str(info.value) and "plain http" in str(info.value)


@pytest.mark.parametrize(("method", "error"), [("GET", MailApiError), ("POST", OutcomeUnknownError)])
def test_timed_out(
    monkeypatch: pytest.MonkeyPatch, silent_port: int, sleeps: list[float], method: str, error: type[MailApiError]
) -> None:
    host = f"http://127.0.0.1:{silent_port}/legallymail"
    use(monkeypatch, "slow", {"conn_type": "legallymail", "host": host, "extra": {"timeout": 0.2, "max_retries": 1}})
    hook = LegallyMailHook("slow")
    call = hook.get_account_info if method == "GET" else lambda: hook.send_email("a@example.com", "s", "<p>h</p>")
    with pytest.raises(error) as info:
        call()
    path = "/api/info" if method == "GET" else "/api/send"
    assert_names_connection_and_url(info.value, "slow", f"{host}{path}")
    assert "timed out after 0.2s" in str(info.value)
    assert len(sleeps) == (1 if method == "GET" else 0)  # a send whose outcome is unknown is not sent again


def test_dns(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    use(monkeypatch, "nowhere", {"conn_type": "legallymail", "host": "api.legallymail.invalid"})
    with pytest.raises(ConnectionFailedError) as info:
        LegallyMailHook("nowhere").get_account_info()
    assert_names_connection_and_url(info.value, "nowhere", "https://api.legallymail.invalid:443/api/info")
    assert "'api.legallymail.invalid' could not be resolved" in str(info.value)


def test_test_connection_reports_the_same_text(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, sleeps: list[float]
) -> None:
    use(
        monkeypatch, "ui", {"conn_type": "legallymail", "host": f"127.0.0.1:{closed_port}", "extra": {"max_retries": 0}}
    )
    ok, message = LegallyMailHook("ui").test_connection()
    assert not ok
    assert f"connection 'ui', http://127.0.0.1:{closed_port}/api/info: the connection was refused" in message


def test_the_retry_log_is_quiet_about_duration_after_the_first(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    use(
        monkeypatch,
        "twice",
        {"conn_type": "legallymail", "host": f"127.0.0.1:{closed_port}", "extra": {"max_retries": 2}},
    )
    with pytest.raises(ConnectionFailedError):
        LegallyMailHook("twice").get_account_info()
    lines = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(lines) == 2
    assert "over at most" in lines[0] and "over at most" not in lines[1]
