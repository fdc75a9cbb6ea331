"""Over real HTTP: the API's host gets the token, another host never does (headers, URL or body).

Two recording servers: the "API" on 127.0.0.1 (the connection's origin) and "another host" on
127.0.0.2, plus a third on the API's host but another port, which is another origin too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from tests.conftest import conn_json
from tests.integration.recording_server import RecordingServer
from tests.unit.client.token_corpus import leaks

TOKEN = 'dl-tok/+=ab\\cd"é'


@pytest.fixture
def api() -> Iterator[RecordingServer]:
    with RecordingServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def other() -> Iterator[RecordingServer]:
    with RecordingServer("127.0.0.2") as server:
        yield server


@pytest.fixture
def other_port() -> Iterator[RecordingServer]:
    with RecordingServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def hook(api: RecordingServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> LegallyMailHook:
    monkeypatch.setenv("AIRFLOW_CONN_API", conn_json("legallymail", api.url, token=TOKEN, requests_per_minute=0))
    return LegallyMailHook("api")


def assert_never_got_the_token(server: RecordingServer) -> None:
    assert [leaks(request.text(), TOKEN) for request in server.received] == [[] for _ in server.received]


def test_the_api_host_gets_the_token(hook: LegallyMailHook, api: RecordingServer) -> None:
    assert hook.download(f"{api.url}/certificate.pdf") == b"%PDF-1.4 from 127.0.0.1"
    assert [r.headers.get("Authorization") for r in api.received] == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize("target", ["other", "other_port"])
def test_a_redirect_to_another_origin_reaches_it_without_the_token(
    hook: LegallyMailHook, api: RecordingServer, target: str, request: pytest.FixtureRequest
) -> None:
    elsewhere: RecordingServer = request.getfixturevalue(target)
    api.redirects["/certificate.pdf"] = f"{elsewhere.url}/signed/certificate.pdf?from=api"
    assert hook.download(f"{api.url}/certificate.pdf").startswith(b"%PDF-1.4 from")
    assert [r.target for r in elsewhere.received] == ["/signed/certificate.pdf?from=api"]
    assert_never_got_the_token(elsewhere)
    assert [r.headers.get("Authorization") for r in api.received] == [f"Bearer {TOKEN}"]


def test_a_redirect_back_to_the_api_after_leaving_it_carries_no_token(
    hook: LegallyMailHook, api: RecordingServer, other: RecordingServer
) -> None:
    api.redirects["/a.pdf"] = f"{other.url}/b.pdf"
    other.redirects["/b.pdf"] = f"{api.url}/c.pdf"
    hook.download(f"{api.url}/a.pdf")
    assert [r.target for r in api.received] == ["/a.pdf", "/c.pdf"]
    assert [r.headers.get("Authorization") for r in api.received] == [f"Bearer {TOKEN}", None]
    assert_never_got_the_token(other)


def test_a_url_that_parsers_read_differently_is_refused_and_reaches_nobody(
    hook: LegallyMailHook, api: RecordingServer, other: RecordingServer
) -> None:
    # urllib.parse reads the host after "@" (the API); requests would connect to the one before "\".
    tricky = f"{other.url}\\@{api.url.removeprefix('http://')}/certificate.pdf"
    with pytest.raises(ConfigurationError, match=r"^url: .*backslash"):
        hook.download(tricky)
    assert (api.received, other.received) == ([], [])


def test_a_redirect_to_such_a_url_is_not_followed(
    hook: LegallyMailHook, api: RecordingServer, other: RecordingServer
) -> None:
    api.redirects["/certificate.pdf"] = f"{other.url}\\@{api.url.removeprefix('http://')}/x.pdf"
    with pytest.raises(ConfigurationError, match=r"^url: the redirect to .* is refused"):
        hook.download(f"{api.url}/certificate.pdf")
    assert len(api.received) == 1
    assert other.received == []
