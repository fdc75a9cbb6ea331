"""Re-sending a signature request that expired unsigned (``SignatureRequestOperator(resend_on_expiry=N)``).

Each re-send is a ledger unit of its own, ``<first request's key>:resend<n>``, delivered like the first
(recorded before its POST), so it goes out at most once across tries. The ledger is also where a retry
resumes: re-send ``n`` is recorded only after request ``n - 1`` was seen expired, so the requests the
ledger holds before the last one are known expired, and the last one is the one to deliver (adopt) and
wait for again. Pure: no API request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.validation import fail

EXPIRED = "expired"


def check_resend_on_expiry(value: Any, wait_for: str | None) -> int:
    """``resend_on_expiry`` as a count, checked when the DAG is parsed."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail("resend_on_expiry", f"{value!r} is not a whole number of re-sends (0 or more)")
    if value and wait_for != "signed":
        raise fail("resend_on_expiry", f're-sends on expiry need wait_for="signed" (got wait_for={wait_for!r})')
    return value


def resend_key(first_key: str, number: int) -> str:
    """The ledger key of request ``number`` (0: the first, which keeps the key it always had)."""
    return first_key if number == 0 else f"{first_key}:resend{number}"


def deadline_name(number: int) -> str | None:
    """Where the wait for request ``number`` keeps its deadline (None: the task's usual one)."""
    return None if number == 0 else f"deadline.resend{number}"


def resume_point(ledger: SendLedger, first_key: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """What earlier tries sent: the requests known expired (as adopted results), and the number of the
    request to deliver now (0 when no re-send is recorded)."""
    earlier: list[dict[str, Any]] = []
    for number in range(limit):
        if ledger.last_attempt(resend_key(first_key, number + 1)) is None:
            return earlier, number
        attempt = ledger.last_attempt(resend_key(first_key, number))
        if attempt is None or attempt["state"] is not AttemptState.ACCEPTED or not attempt.get("result"):
            return earlier, number
        earlier.append({**attempt["result"], "adopted": True})
    return earlier, limit


def expired_unsigned(event: Mapping[str, Any]) -> bool:
    """Did the wait fail because the request expired (not declined, not a contradiction)?"""
    failed = (event.get("result") or {}).get("failed") or {}
    return event.get("status") == "failed" and failed.get("status") == EXPIRED


def requests_so_far(carry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every request a deferred task had made, from its trigger's ``carry`` (the summary)."""
    return [dict(r) for r in carry.get("requests") or ([carry] if carry else [])]


def signature_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The last request's fields (what a DAG reads today) and every request under ``requests``."""
    return {**results[-1], "requests": results}
