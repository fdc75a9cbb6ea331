"""Streamed downloads at the HTTP boundary: chunks, the token only for our own origin, retries, broken bodies."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests_mock as rm
from urllib3.exceptions import ProtocolError

from airflow_provider_legallymail.exceptions import ConfigurationError, ConnectionFailedError
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from tests.conftest import LM_URL, TOKEN

CERT = f"{LM_URL}/emails/download-certificate?id=cm_1&status=read"
BIG = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def hook(lm_conn: str) -> LegallyMailHook:
    return LegallyMailHook()


def test_body_arrives_in_chunks_with_the_token_for_our_origin(hook: LegallyMailHook) -> None:
    chunks: list[bytes] = []
    with rm.Mocker() as m:
        m.get(CERT, content=BIG)
        size = hook.download_to(CERT, chunks.append)
    assert size == len(BIG)
    assert b"".join(chunks) == BIG
    assert len(chunks) > 1 and max(map(len, chunks)) <= 64 * 1024  # never the whole file at once
    assert m.request_history[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_no_token_goes_to_another_origin(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get("https://cdn.example.com/cert.pdf", content=b"%PDF-x")
        hook.download_to("https://cdn.example.com/cert.pdf", lambda chunk: None)
    assert "Authorization" not in m.request_history[0].headers


def test_plain_http_to_a_remote_host_is_refused_before_any_request(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m, pytest.raises(ConfigurationError, match="plain http"):
        hook.download_to("http://legallymail.com/cert.pdf", lambda chunk: None)
    assert m.call_count == 0


def test_a_503_before_the_body_is_retried(hook: LegallyMailHook, sleeps: list[float]) -> None:
    received = bytearray()
    with rm.Mocker() as m:
        m.get(CERT, [{"status_code": 503, "text": "busy"}, {"content": b"%PDF-ok"}])
        hook.download_to(CERT, received.extend)
    assert bytes(received) == b"%PDF-ok"
    assert len(sleeps) == 1


class _Breaks(io.RawIOBase):
    """A body that gives its first bytes, then loses the connection."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent:
            raise ProtocolError("Connection broken: IncompleteRead")
        self.sent = True
        buffer[:4] = b"%PDF"
        return 4


def test_a_body_broken_off_raises_connection_failed_without_the_token(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(CERT, body=_Breaks())
        with pytest.raises(ConnectionFailedError, match="download broke off") as caught:
            hook.download_to(CERT, lambda chunk: None)
    assert TOKEN not in str(caught.value)
