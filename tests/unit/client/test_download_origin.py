"""``download(url)`` sends the token only to the host ``requests`` will really connect to.

A corpus of tricky URLs: each either goes to our origin with the token, goes elsewhere without it, or
is refused with a ``ConfigurationError`` naming ``url`` before anything is sent. Redirects are followed
one hop at a time and the token is dropped as soon as a hop leaves our origin.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests_mock as rm

from airflow_provider_legallymail.client.settings import ClientSettings, build_base_url
from airflow_provider_legallymail.client.transport import ApiClient
from airflow_provider_legallymail.exceptions import ConfigurationError, MailApiError
from tests.unit.client.token_corpus import TOKENS, exception_leaks

TOKEN = "tok/+=-SECRET"
BEARER = f"Bearer {TOKEN}"
PDF = b"%PDF-1.4 certificate"


def client(base_url: str = "https://legallymail.com") -> ApiClient:
    return ApiClient(ClientSettings(base_url=base_url, token=TOKEN, requests_per_minute=0, max_retries=0))


def sent(m: rm.Mocker) -> list[tuple[str, str | None]]:
    """(URL requests connected to, Authorization header) of every request that went out."""
    return [(r.url, r.headers.get("Authorization")) for r in m.request_history]


OUR_ORIGIN = [
    ("https://legallymail.com/x.pdf", "https://legallymail.com/x.pdf"),
    ("https://LegallyMail.COM/x.pdf", "https://legallymail.com/x.pdf"),
    ("HTTPS://legallymail.com/x.pdf", "https://legallymail.com/x.pdf"),
    ("https://legallymail.com:443/x.pdf", "https://legallymail.com:443/x.pdf"),
    ("https://legallymail.com#@evil.example/x.pdf", "https://legallymail.com/#@evil.example/x.pdf"),
    ("https://legallymail.com?@evil.example/x.pdf", "https://legallymail.com/?@evil.example/x.pdf"),
]

OTHER_ORIGINS = [
    "https://legallymail.com.:443/x.pdf",  # a trailing dot: another origin, as for browsers
    "https://legallymail.com:8443/x.pdf",
    "https://cdn.legallymail.com/x.pdf",
    "https://legallymail.com.evil.example/x.pdf",
    "https://evil.example/legallymail.com/x.pdf",
    "https://evil.example/x.pdf?host=legallymail.com",
]

REFUSED = {
    "backslash before @": "https://evil.example\\@legallymail.com/x.pdf",
    "backslash after host": "https://legallymail.com\\@evil.example/x.pdf",
    "backslash as path": "https://legallymail.com\\x.pdf",
    "user info": "https://evil.example@legallymail.com/x.pdf",
    "user info (reversed)": "https://legallymail.com@evil.example/x.pdf",
    "user and password": "https://user:pass@legallymail.com/x.pdf",
    "percent-encoded dot": "https://legallymail%2Ecom/x.pdf",
    "ideographic full stop": "https://legallymail\u3002com/x.pdf",
    "fullwidth full stop": "https://legallymail\uff0ecom/x.pdf",
    "roman numeral l (NFKC)": "https://\u217cegallymail.com/x.pdf",
    "tab in host": "https://legallymail.com\t/x.pdf",
    "space": "https://legallymail.com /x.pdf",
    "newline": "https://legallymail.com\n.evil.example/x.pdf",
    "zero-width space": "https://legallymail.com\u200b.evil.example/x.pdf",
    "unclosed IPv6 literal": "https://[::1/x.pdf",
    "port out of range": "https://legallymail.com:99999/x.pdf",
    "no scheme": "//legallymail.com/x.pdf",
    "no slashes": "https:legallymail.com/x.pdf",
    "ftp": "ftp://legallymail.com/x.pdf",
    "plain http to a remote host": "http://legallymail.com/x.pdf",
    "empty": "",
}


@pytest.mark.parametrize(("url", "connects_to"), OUR_ORIGIN)
def test_urls_on_our_origin_get_the_token(url: str, connects_to: str) -> None:
    with rm.Mocker() as m:
        m.get(rm.ANY, content=PDF)
        assert client().download(url) == PDF
    assert sent(m) == [(connects_to, BEARER)]


@pytest.mark.parametrize("url", OTHER_ORIGINS)
def test_urls_on_other_origins_are_fetched_without_the_token(url: str) -> None:
    with rm.Mocker() as m:
        m.get(rm.ANY, content=PDF)
        assert client().download(url) == PDF
    assert [auth for _, auth in sent(m)] == [None]
    assert TOKEN not in m.request_history[0].url


@pytest.mark.parametrize("url", list(REFUSED.values()), ids=list(REFUSED))
def test_urls_parsers_may_read_differently_are_refused_before_sending(url: str) -> None:
    with rm.Mocker() as m, pytest.raises(ConfigurationError, match=r"^url: ") as info:
        client().download(url)
    assert m.call_count == 0
    assert "refused" in str(info.value)


@pytest.mark.parametrize(
    ("base", "url", "token_sent"),
    [
        ("http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]:8080/x.pdf", True),  # one address, two spellings
        ("http://[::1]:8080", "http://[::1]:8081/x.pdf", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/x.pdf", True),
        ("http://127.0.0.1:8080", "http://localhost:8080/x.pdf", False),  # compared as written, not resolved
        ("http://localhost", "http://localhost:80/x.pdf", True),
        ("http://localhost", "https://localhost/x.pdf", False),  # another scheme
    ],
)
def test_ip_literals_ports_and_schemes(base: str, url: str, token_sent: bool) -> None:
    with rm.Mocker() as m:
        m.get(rm.ANY, content=PDF)
        client(base).download(url)
    assert [auth for _, auth in sent(m)] == [BEARER if token_sent else None]


def redirect(m: rm.Mocker, url: str, to: str, status: int = 302) -> None:
    m.get(url, status_code=status, headers={"Location": to})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_within_our_origin_keeps_the_token(status: int) -> None:
    with rm.Mocker() as m:
        redirect(m, "https://legallymail.com/a.pdf", "/b.pdf", status)
        m.get("https://legallymail.com/b.pdf", content=PDF)
        assert client().download("https://legallymail.com/a.pdf") == PDF
    assert [auth for _, auth in sent(m)] == [BEARER, BEARER]


@pytest.mark.parametrize(
    ("base", "target"),
    [
        ("https://legallymail.com", "https://s3.example.net/x.pdf"),
        ("https://legallymail.com", "https://legallymail.com:8443/x.pdf"),
        ("https://localhost:8443", "http://localhost:8443/x.pdf"),  # https -> http, same host and port
        ("https://localhost", "http://localhost/x.pdf"),  # https -> http, default ports
        ("http://localhost", "https://localhost/x.pdf"),  # http -> https: requests keeps it, we do not
    ],
)
def test_a_redirect_to_another_origin_drops_the_token(base: str, target: str) -> None:
    with rm.Mocker() as m:
        redirect(m, f"{base}/a.pdf", target)
        m.get(target, content=PDF)
        assert client(base).download(f"{base}/a.pdf") == PDF
    assert sent(m) == [(f"{base}/a.pdf", BEARER), (target, None)]


def test_once_a_redirect_left_our_origin_the_token_is_not_sent_even_back_home() -> None:
    with rm.Mocker() as m:
        redirect(m, "https://legallymail.com/a.pdf", "https://cdn.example.net/b.pdf")
        redirect(m, "https://cdn.example.net/b.pdf", "https://legallymail.com/c.pdf")
        m.get("https://legallymail.com/c.pdf", content=PDF)
        assert client().download("https://legallymail.com/a.pdf") == PDF
    assert [auth for _, auth in sent(m)] == [BEARER, None, None]


@pytest.mark.parametrize("target", [REFUSED["backslash before @"], REFUSED["user info"], "http://evil.example/x"])
def test_a_redirect_to_a_refused_url_is_not_followed(target: str) -> None:
    with rm.Mocker() as m:
        redirect(m, "https://legallymail.com/a.pdf", target)
        with pytest.raises(ConfigurationError, match=r"^url: the redirect to .* is refused"):
            client().download("https://legallymail.com/a.pdf")
    assert m.call_count == 1


@pytest.mark.parametrize("token", list(TOKENS.values()), ids=list(TOKENS))
def test_a_refused_url_holding_the_token_does_not_show_it(token: str) -> None:
    encoded = quote(token, safe="")
    urls = [
        f"https://user:{encoded}@legallymail.com/x.pdf",
        f"https://{encoded}@legallymail.com/x.pdf",
        f"https://other.example\\{encoded}@legallymail.com/x.pdf",
    ]
    api = ApiClient(ClientSettings(base_url="https://legallymail.com", token=token))
    for url in urls:
        with rm.Mocker() as m, pytest.raises(ConfigurationError, match=r"^url: ") as info:
            api.download(url)
        assert m.call_count == 0
        assert exception_leaks(info.value, token) == []


def test_a_redirect_loop_stops() -> None:
    with rm.Mocker() as m:
        redirect(m, "https://legallymail.com/a.pdf", "/a.pdf")
        with pytest.raises(MailApiError, match="more than 10 redirects"):
            client().download("https://legallymail.com/a.pdf")
    assert m.call_count == 11


@pytest.mark.parametrize(
    "host",
    ["https://evil.example\\@legallymail.com", "https://user:pw@legallymail.com", "https://legallymail%2Ecom"],
)
def test_the_connection_host_is_checked_the_same_way(host: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^host: .* is refused"):
        build_base_url(host, None, None, "https://legallymail.com")
