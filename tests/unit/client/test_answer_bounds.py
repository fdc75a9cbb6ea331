"""Answers without end, from a real local server: every answer is bounded in size, time and depth.

Each hostile answer (huge, endless, a gzip bomb, trickled 1 byte at a time, nested 100,000 deep, a timestamp
no clock holds) ends in the provider's typed error naming the bound, never the token, and never in hundreds
of MiB of memory or a call held for ever.
"""

from __future__ import annotations

import copy
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_legallymail.client.answers import ANSWER_MAX_BYTES, MAX_JSON_DEPTH, Bounds
from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.transport import ApiClient
from airflow_provider_legallymail.exceptions import (
    MailApiError,
    OutcomeUnknownError,
    UnreadableAnswerError,
    ValidationError,
)
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from tests import api_examples as ex
from tests.conftest import TOKEN, conn_json
from tests.hostile_server import HostileServer, gzip_bomb, json_answer, streamed, trickle, zeros

Connect = Callable[..., LegallyMailHook]
EMAIL = "/api/email"


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Connect:
    """legallymail_default pointing at a hostile server (extras as given)."""

    def to(server: HostileServer, **extra: Any) -> LegallyMailHook:
        extra.setdefault("requests_per_minute", 0)
        monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", server.url, **extra))
        return LegallyMailHook()

    return to


def client(server: HostileServer, **bounds: Any) -> ApiClient:
    return ApiClient(
        ClientSettings(base_url=server.url, token=TOKEN, max_retries=0), bounds=Bounds(**bounds), sleep=lambda _: None
    )


def peak_of(call: Callable[[], Any]) -> tuple[int, BaseException]:
    """Peak Python memory while ``call`` runs, and what it raised."""
    tracemalloc.start()
    try:
        call()
    except BaseException as exc:  # returned to the test
        raised = exc
    else:
        raise AssertionError("the call did not fail")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def no_token(exc: BaseException) -> None:
    assert TOKEN not in f"{exc} {exc!r} {exc.args}"


@pytest.mark.parametrize(
    "answer",
    [streamed(zeros), streamed(zeros, length=2 * ANSWER_MAX_BYTES + 1), streamed(gzip_bomb, gzip=True)],
    ids=["endless chunked", "huge declared", "gzip bomb"],
)
def test_an_oversized_status_answer_fails_at_the_bound_with_memory_near_it(connect: Connect, answer: Any) -> None:
    with HostileServer({EMAIL: answer}) as server:
        hook = connect(server)
        peak, exc = peak_of(lambda: hook.get_email("cm_1"))
    assert isinstance(exc, UnreadableAnswerError), exc
    assert "8 MiB" in str(exc) and "GET /api/email" in str(exc)
    assert peak < 4 * ANSWER_MAX_BYTES  # hundreds of MiB before
    no_token(exc)


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(connect: Connect, where: str) -> None:
    # 1 byte every 0.05 s: the per-read timeout (0.5 s) never fires; the call's deadline (4 x 0.5 s) does
    with HostileServer({EMAIL: trickle(in_headers=where == "headers")}) as server:
        hook = connect(server, timeout=0.5, max_retries=0)
        with pytest.raises(UnreadableAnswerError, match=r"did not arrive whole within 2s") as caught:
            hook.get_email("cm_1")
    no_token(caught.value)


def test_the_deadline_is_a_parameter_of_the_client() -> None:
    with HostileServer({EMAIL: trickle()}) as server:
        api = client(server, answer_seconds=0.5)
        with pytest.raises(UnreadableAnswerError, match=r"within 0.5s"):
            api.request_json("GET", EMAIL)


def test_a_send_whose_answer_trickles_is_outcome_unknown_and_not_sent_again(connect: Connect) -> None:
    with HostileServer({"/api/send": trickle()}) as server:
        hook = connect(server, timeout=0.5, max_retries=3)
        with pytest.raises(OutcomeUnknownError, match=r"within 2s.*not sent again") as caught:
            hook.send_email("a@example.com", "Subject", "<p>x</p>")
    assert [r for r in server.received if r.startswith("POST")] == ["POST /api/send"]
    assert caught.value.sent_at is not None


def test_a_send_whose_answer_is_endless_is_outcome_unknown(connect: Connect) -> None:
    with HostileServer({"/api/send": streamed(gzip_bomb, gzip=True)}) as server:
        hook = connect(server, max_retries=3)
        with pytest.raises(OutcomeUnknownError, match="8 MiB"):
            hook.send_email("a@example.com", "Subject", "<p>x</p>")
    assert len(server.received) == 1


def test_an_error_answer_with_an_endless_body_is_still_the_api_error(connect: Connect) -> None:
    with HostileServer({EMAIL: streamed(zeros, status=400)}) as server:
        hook = connect(server)
        with pytest.raises(ValidationError) as caught:
            hook.get_email("cm_1")
    assert caught.value.status_code == 400


@pytest.mark.parametrize("depth", [100_000, MAX_JSON_DEPTH + 1])
def test_json_nested_too_deep_is_a_typed_error(connect: Connect, depth: int) -> None:
    with HostileServer({EMAIL: json_answer(b"[" * depth + b"]" * depth)}) as server:
        hook = connect(server)
        with pytest.raises(UnreadableAnswerError, match=f"nested deeper than the bound of {MAX_JSON_DEPTH} levels"):
            hook.get_email("cm_1")


def test_an_error_answer_nested_too_deep_is_still_the_api_error(connect: Connect) -> None:
    with HostileServer({EMAIL: json_answer(b"[" * 100_000 + b"]" * 100_000, status=400)}) as server:
        hook = connect(server)
        with pytest.raises(ValidationError):
            hook.get_email("cm_1")


@pytest.mark.parametrize(
    "stamp", ["99999999999999999999", 99999999999999999999, "2024-01-15 10:30:00+99:00", "9999-12-31T23:59:59-23:00"]
)
def test_a_timestamp_no_clock_holds_is_a_typed_error(connect: Connect, stamp: Any) -> None:
    body = copy.deepcopy(ex.LM_EMAIL)
    body["email"]["recipients"][0]["read_at"] = stamp
    with HostileServer({EMAIL: json_answer(body)}) as server:
        hook = connect(server)
        with pytest.raises(UnreadableAnswerError, match="timestamp out of range"):
            hook.get_email("cm_abc123")


def test_an_encoding_that_is_not_decoded_here_is_refused(connect: Connect) -> None:
    def brotli(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "br")
        handler.send_header("Content-Length", "4")
        handler.end_headers()
        handler.wfile.write(b"\x0b\x01\x80{")

    with HostileServer({EMAIL: brotli}) as server, pytest.raises(UnreadableAnswerError, match="encoded as 'br'"):
        connect(server).get_email("cm_1")
    assert server.headers[0]["Accept-Encoding"] == "gzip, deflate"  # all that is decoded, all that is asked for


def test_gzip_and_deflate_answers_still_read(connect: Connect) -> None:
    import zlib

    body = json.dumps(ex.LM_EMAIL).encode()

    def encoded(coding: str, data: bytes) -> Any:
        def answer(handler: Any) -> None:
            handler.send_response(200)
            handler.send_header("Content-Encoding", coding)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        return answer

    gz = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    gzipped = gz.compress(body) + gz.flush()
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    for answer in (
        encoded("gzip", gzipped),
        encoded("deflate", zlib.compress(body)),
        encoded("deflate", raw.compress(body) + raw.flush()),
    ):
        with HostileServer({EMAIL: answer}) as server:
            assert connect(server).get_email("cm_abc123").tracking_id == "cm_abc123"


def test_the_token_never_appears_in_a_bound_error(connect: Connect) -> None:
    path = f"/api/{TOKEN}"
    with HostileServer({path: streamed(zeros)}) as server:
        hook = connect(server)
        with pytest.raises(MailApiError) as caught:
            hook.get_conn().request_json("GET", path)
    no_token(caught.value)
