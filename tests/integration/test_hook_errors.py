"""Each error the sandbox can answer reaches the hooks as its typed exception, retried only when safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.exceptions import (
    AuthenticationError,
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
from legallymail_sandbox.server import SandboxServer
from tests.integration.conftest import Connect


def statuses(sandbox: SandboxServer, path: str) -> list[int]:
    return [r["status"] for r in sandbox.received(path=path)]


def test_400_is_validation_error(lm_hook: LegallyMailHook) -> None:
    with pytest.raises(ValidationError) as error:
        lm_hook.send_email("ana@example.com", "s", "<p>x</p>", reply_to="me+unverified@example.com")
    assert error.value.status_code == 400 and "reply_to" in str(error.value)


def test_401_is_authentication_error(sandbox: SandboxServer, connect: Connect) -> None:
    connect(token="not-the-token")
    with pytest.raises(AuthenticationError) as error:
        LegallyMailHook().get_account_info()
    assert error.value.status_code == 401 and "not-the-token" not in str(error.value)
    with pytest.raises(AuthenticationError):
        LegitmailerHook().list_templates()
    assert LegallyMailHook().test_connection()[0] is False
    assert statuses(sandbox, "/api/info") == [401, 401]


def test_403_credits_exhausted_is_permission_denied(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.set_credits(emails=1, sms=0)
    with pytest.raises(PermissionDeniedError, match=r"(?i)insufficient credits") as error:
        lm_hook.send_email(["a@example.com", "b@example.com"], "s", "<p>x</p>")
    assert error.value.status_code == 403
    with pytest.raises(PermissionDeniedError):
        lm_hook.send_sms("+34600000000", "x")
    assert lm_hook.list_emails() == []
    assert statuses(sandbox, "/api/send") == [403]


def test_404_is_not_found(lm_hook: LegallyMailHook) -> None:
    with pytest.raises(NotFoundError):
        lm_hook.get_email("cm_nope")
    with pytest.raises(NotFoundError):
        lm_hook.get_signature("nope")
    with pytest.raises(NotFoundError):
        lm_hook.get_sms("nope")


def test_405_is_method_not_allowed(lm_hook: LegallyMailHook, lt_hook: LegitmailerHook) -> None:
    with pytest.raises(MethodNotAllowedError):
        lm_hook.get_conn().request_json("DELETE", "/api/send")
    with pytest.raises(MethodNotAllowedError):
        lt_hook.get_conn().request_json("PUT", "/api/template/list")


def test_429_is_waited_out_using_retry_after(
    sandbox: SandboxServer, lm_hook: LegallyMailHook, waits: list[float]
) -> None:
    sandbox.set_rate_limit(limit=2, window=60)
    for _ in range(3):
        lm_hook.get_account_info()
    assert statuses(sandbox, "/api/info") == [200, 200, 429, 200]
    (wait,) = waits
    assert 55 <= wait <= 60


def test_429_on_a_send_is_retried_once_the_slot_frees(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.set_rate_limit(limit=1, window=30)
    lm_hook.get_account_info()
    lm_hook.send_email("ana@example.com", "s", "<p>x</p>")
    assert statuses(sandbox, "/api/send") == [429, 200]
    assert len(lm_hook.list_emails()) == 1


def test_429_not_waited_out_is_rate_limited_error(sandbox: SandboxServer, connect: Connect) -> None:
    connect(max_retries=0)
    sandbox.set_rate_limit(limit=1, window=60)
    hook = LegallyMailHook()
    hook.get_account_info()
    with pytest.raises(RateLimitedError) as error:
        hook.get_account_info()
    assert error.value.retry_after is not None and 55 <= error.value.retry_after <= 60


def test_client_budget_keeps_the_hook_under_the_server_limit(
    sandbox: SandboxServer, connect: Connect, tmp_path: Path
) -> None:
    connect(requests_per_minute=3)
    sandbox.set_rate_limit(limit=3, window=60)
    hook = LegallyMailHook()
    client = hook.get_conn()
    assert client.settings.requests_per_minute == 3
    now = [1000.0]
    budget_waits: list[float] = []

    def sleep(seconds: float) -> None:
        budget_waits.append(seconds)
        now[0] += seconds
        sandbox.elapse_rate_window(seconds)

    client.budget = RequestBudget(client.settings.origin, 3, state_dir=tmp_path, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        hook.get_account_info()
    assert statuses(sandbox, "/api/info") == [200] * 6
    assert budget_waits == [60.0]


def test_500_on_a_read_is_retried(sandbox: SandboxServer, lm_hook: LegallyMailHook, waits: list[float]) -> None:
    sandbox.fault("legallymail", "GET", "/api/info", status=500, count=2)
    assert lm_hook.get_account_info().user.remaining_emails == 100
    assert statuses(sandbox, "/api/info") == [500, 500, 200]
    assert len(waits) == 2


def test_persistent_500_is_server_error(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.fault("legallymail", "GET", "/api/emails", status=500)
    with pytest.raises(ServerError) as error:
        lm_hook.list_emails()
    assert error.value.status_code == 500
    assert statuses(sandbox, "/api/emails") == [500] * 4  # the first try and 3 retries


def test_500_on_a_send_is_not_retried(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", status=500, count=1)
    with pytest.raises(ServerError):
        lm_hook.send_email("ana@example.com", "s", "<p>x</p>")
    assert statuses(sandbox, "/api/send") == [500]


def test_503_on_a_send_is_retried_because_nothing_was_processed(
    sandbox: SandboxServer, lt_hook: LegitmailerHook
) -> None:
    sandbox.fault("legitmailer", "POST", "/api/email", status=503, count=1, retry_after=2)
    lt_hook.send_email("info@example.com", "ana@example.com", "s", "b")
    assert statuses(sandbox, "/api/email") == [503, 200]
    assert len(sandbox.legitmailer_sent()) == 1


def test_502_on_a_send_is_outcome_unknown(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", status=502, count=1)
    with pytest.raises(OutcomeUnknownError):
        lm_hook.send_email("ana@example.com", "s", "<p>x</p>")
    assert statuses(sandbox, "/api/send") == [502]


def test_dropped_response_on_a_send_is_outcome_unknown_and_sent_once(
    sandbox: SandboxServer, lm_hook: LegallyMailHook
) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
    with pytest.raises(OutcomeUnknownError):
        lm_hook.send_email("ana@example.com", "s", "<p>x</p>")
    sends = sandbox.received(api="legallymail", method="POST", path="/api/send")
    assert [(s["status"], s["dropped"]) for s in sends] == [(200, True)]
    (email,) = lm_hook.list_emails()
    assert email.recipient == "ana@example.com"
    assert lm_hook.get_account_info().user.remaining_emails == 99


def test_dropped_response_on_a_read_is_retried(sandbox: SandboxServer, lm_hook: LegallyMailHook) -> None:
    sandbox.fault("legallymail", "GET", "/api/info", drop_response=True, count=1)
    assert lm_hook.get_account_info().name == "LegallyMail API"
    assert [r["dropped"] for r in sandbox.received(path="/api/info")] == [True, False]


def test_dropped_cancel_is_outcome_unknown(sandbox: SandboxServer, lt_hook: LegitmailerHook) -> None:
    queued = lt_hook.queue_email("info@example.com", "ana@example.com", "s", "b", delay=60)
    sandbox.fault("legitmailer", "DELETE", "/api/email/delayed/*", drop_response=True, count=1)
    with pytest.raises(OutcomeUnknownError):
        lt_hook.cancel_queued_email(queued.request_id)
    sandbox.advance(120)
    assert sandbox.legitmailer_sent() == []  # the cancellation was committed


def test_a_slow_arrival_does_not_make_the_next_request_429_at_the_window_edge(
    sandbox: SandboxServer, connect: Connect
) -> None:
    """The single-host 429s: the server counts a request when it arrives, the budget counted it at its start.

    The first request reaches the rate limiter 0.3 s after it started (a busy server, a slow connection): a
    budget counting starts let the next request go one window after the first *started*, 0.3 s before the
    server's window let it in. Counted until its answer came back, the next one waits for that window."""
    connect(requests_per_minute=1, rate_window=1.0, max_retries=0)  # max_retries=0: a 429 raises at once
    sandbox.set_rate_limit(limit=1, window=1.0)
    sandbox.fault("legallymail", "GET", "/api/info", latency=0.3, count=1)
    hook = LegallyMailHook()
    hook.get_account_info()
    hook.get_account_info()
    assert statuses(sandbox, "/api/info") == [200, 200]
