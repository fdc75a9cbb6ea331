"""Retry rules and error mapping: what is waited out, what is never repeated, what each code raises."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest
import requests
import requests_mock as rm

from airflow_provider_legallymail.exceptions import (
    AuthenticationError,
    ConnectionFailedError,
    MailApiError,
    MethodNotAllowedError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from tests import api_examples as ex
from tests.conftest import LM_URL, LT_URL

SEND = f"{LM_URL}/api/send"
INFO = f"{LM_URL}/api/info"


@pytest.fixture
def hook(lm_conn: str) -> LegallyMailHook:
    return LegallyMailHook()


def send(hook: LegallyMailHook) -> Any:
    return hook.send_email("a@example.com", "Subject", "<p>x</p>")


def test_429_with_retry_after_seconds_is_waited_out_and_retried(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.post(
            SEND,
            [
                {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"message": "Too many"}},
                {"json": ex.LM_SEND_SINGLE},
            ],
        )
        result = send(hook)
    assert result.tracking_id == "cm_xxx"
    assert m.call_count == 2
    assert sleeps == [7.0]


def test_429_with_retry_after_http_date(hook: LegallyMailHook, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    with rm.Mocker() as m:
        m.get(INFO, [{"status_code": 429, "headers": {"Retry-After": when}}, {"json": ex.LM_INFO}])
        hook.get_account_info()
    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 20


def test_429_beyond_the_cap_raises_rate_limited_with_retry_after(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.get(INFO, status_code=429, headers={"Retry-After": "3600"}, json={"message": "slow down"})
        with pytest.raises(RateLimitedError) as info:
            hook.get_account_info()
    assert info.value.retry_after == 3600
    assert info.value.status_code == 429
    assert m.call_count == 1 and sleeps == []


def test_a_429_storm_longer_than_max_retries_does_not_fail_the_call(hook: LegallyMailHook, sleeps: list[float]) -> None:
    """429 proves the request was not processed: it is waited out without using up max_retries (3)."""
    storm = [{"status_code": 429, "headers": {"Retry-After": "30"}}] * 10
    with rm.Mocker() as m:
        m.post(SEND, [*storm, {"json": ex.LM_SEND_SINGLE}])
        assert send(hook).tracking_id == "cm_xxx"
    assert m.call_count == 11
    assert sleeps == [30.0] * 10


def test_429_waits_are_bounded_by_max_rate_limit_wait(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.get(INFO, status_code=429, headers={"Retry-After": "60"})
        with pytest.raises(RateLimitedError) as info:
            hook.get_account_info()
    assert info.value.retry_after == 60
    assert sleeps == [60.0] * 30  # 1800 s in all (RetryPolicy.max_rate_limit_wait), then the 31st 429 raises
    assert m.call_count == 31


def test_429_and_other_failures_count_apart(hook: LegallyMailHook, sleeps: list[float]) -> None:
    """A 429 does not use up a retry of a 503; three 503s still exhaust max_retries."""
    limited = {"status_code": 429, "headers": {"Retry-After": "5"}}
    busy = {"status_code": 503}
    with rm.Mocker() as m:
        m.get(INFO, [limited, busy, limited, busy, limited, busy, busy])
        with pytest.raises(MailApiError) as info:
            hook.get_account_info()
    assert info.value.status_code == 503
    assert m.call_count == 7 and sleeps.count(5.0) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, MethodNotAllowedError),
    ],
)
def test_client_errors_are_not_retried_and_keep_code_method_path_message(
    hook: LegallyMailHook, sleeps: list[float], status: int, error: type[MailApiError]
) -> None:
    with rm.Mocker() as m:
        m.post(SEND, status_code=status, json={"success": False, "message": f"api says {status}"})
        with pytest.raises(error) as info:
            send(hook)
    exc = info.value
    assert m.call_count == 1 and sleeps == []
    assert (exc.status_code, exc.method, exc.endpoint) == (status, "POST", "/api/send")
    assert exc.api_message == f"api says {status}"
    assert f"api says {status}" in str(exc) and str(status) in str(exc)


def test_403_says_credits_may_be_exhausted(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.post(SEND, status_code=403, json={"success": False, "message": "Forbidden"})
        with pytest.raises(PermissionDeniedError, match="credits"):
            send(hook)


def test_error_body_that_is_not_json_is_kept_as_message(hook: LegallyMailHook) -> None:
    with rm.Mocker() as m:
        m.get(INFO, status_code=404, text="no such page")
        with pytest.raises(NotFoundError, match="no such page"):
            hook.get_account_info()


def test_get_is_retried_on_500_but_post_is_not(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.get(INFO, [{"status_code": 500}, {"json": ex.LM_INFO}])
        m.post(SEND, status_code=500, json={"message": "boom"})
        assert hook.get_account_info().user.remaining_emails == 75
        with pytest.raises(ServerError) as info:
            send(hook)
    assert info.value.status_code == 500
    assert [r.method for r in m.request_history] == ["GET", "GET", "POST"]


def test_post_is_retried_on_503_rejected_before_processing(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.post(SEND, [{"status_code": 503}, {"status_code": 503}, {"json": ex.LM_SEND_SINGLE}])
        assert send(hook).tracking_id == "cm_xxx"
    assert m.call_count == 3
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # exponential backoff


@pytest.mark.parametrize("status", [502, 504])
def test_post_gateway_failure_is_outcome_unknown_and_not_resent(hook: LegallyMailHook, status: int) -> None:
    with rm.Mocker() as m:
        m.post(SEND, [{"status_code": status}, {"json": ex.LM_SEND_SINGLE}])
        with pytest.raises(OutcomeUnknownError) as info:
            send(hook)
    assert m.call_count == 1
    assert info.value.status_code == status


@pytest.mark.parametrize(
    "lost", [{"status_code": 502}, {"status_code": 504}, {"exc": requests.exceptions.ReadTimeout("read timed out")}]
)
def test_a_lost_answer_says_when_its_request_went_out(
    hook: LegallyMailHook, monkeypatch: pytest.MonkeyPatch, lost: dict[str, Any]
) -> None:
    """After a refusal and its backoff, not when the call began: the send settles from that moment."""
    from airflow_provider_legallymail.client import transport

    monkeypatch.setattr(transport, "pause", lambda seconds: time.sleep(0.3))
    with rm.Mocker() as m:
        m.post(SEND, [{"status_code": 503}, lost])
        began = time.time()
        with pytest.raises(OutcomeUnknownError) as info:
            send(hook)
    assert m.call_count == 2
    assert info.value.sent_at is not None and began + 0.3 <= info.value.sent_at <= time.time()


def test_get_gateway_failures_back_off_then_give_up_with_server_error(
    hook: LegallyMailHook, sleeps: list[float]
) -> None:
    with rm.Mocker() as m:
        m.get(INFO, status_code=502)
        with pytest.raises(ServerError) as info:
            hook.get_account_info()
    assert m.call_count == 4 and info.value.status_code == 502
    assert sleeps == sorted(sleeps)  # waits grow


@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("Connection aborted.", ConnectionResetError(104, "reset")),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    ],
)
def test_post_with_unknown_outcome_raises_and_is_sent_once(hook: LegallyMailHook, exc: Exception) -> None:
    with rm.Mocker() as m:
        m.post(SEND, exc=exc)
        with pytest.raises(OutcomeUnknownError) as info:
            send(hook)
    assert m.call_count == 1
    assert info.value.method == "POST" and info.value.endpoint == "/api/send"


def test_post_that_never_reached_the_server_is_retried(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.post(SEND, [{"exc": requests.exceptions.ConnectTimeout("connect timed out")}, {"json": ex.LM_SEND_SINGLE}])
        assert send(hook).tracking_id == "cm_xxx"
    assert m.call_count == 2 and len(sleeps) == 1


def test_connection_refused_for_real_is_classified_unsent(monkeypatch: pytest.MonkeyPatch, sleeps: Any) -> None:
    """Against a closed local port (no mock): the send is retried, then ConnectionFailedError."""
    import socket

    from tests.conftest import conn_json

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_CLOSED", conn_json("legallymail", f"http://127.0.0.1:{port}", max_retries=2))
    with pytest.raises(ConnectionFailedError):
        LegallyMailHook("closed").send_email("a@example.com", "s", "h")
    assert len(sleeps) == 2


def test_get_read_timeout_is_retried(hook: LegallyMailHook, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.get(INFO, [{"exc": requests.exceptions.ReadTimeout("slow")}, {"json": ex.LM_INFO}])
        hook.get_account_info()
    assert m.call_count == 2


def test_put_is_idempotent_and_delete_is_not(lt_conn: str, sleeps: list[float]) -> None:
    hook = LegitmailerHook()
    path = f"{LT_URL}/api/contactlist/cl/contact/c"
    with rm.Mocker() as m:
        m.put(path, [{"exc": requests.exceptions.ReadTimeout("slow")}, {"json": {}}])
        m.delete(path, exc=requests.exceptions.ReadTimeout("slow"))
        hook.update_contact("cl", "c", "a@example.com", {"x": "1"})
        with pytest.raises(OutcomeUnknownError):
            hook.delete_contact("cl", "c")
    assert [r.method for r in m.request_history] == ["PUT", "PUT", "DELETE"]


def test_max_retries_zero_disables_retries(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    from tests.conftest import conn_json

    monkeypatch.setenv("AIRFLOW_CONN_NORETRY", conn_json("legallymail", LM_URL, max_retries=0))
    with rm.Mocker() as m:
        m.get(INFO, status_code=503)
        with pytest.raises(ServerError):
            LegallyMailHook("noretry").get_account_info()
    assert m.call_count == 1 and sleeps == []


def test_legitmailer_503_maintenance_is_retried_for_a_send(lt_conn: str, sleeps: list[float]) -> None:
    with rm.Mocker() as m:
        m.post(
            f"{LT_URL}/api/email", [{"status_code": 503, "json": {"message": "maintenance"}}, {"json": ex.LT_TRACKING}]
        )
        assert LegitmailerHook().send_email("f@example.com", "t@example.com", "s", "b").tracking_id == "tr-1"
    assert m.call_count == 2
