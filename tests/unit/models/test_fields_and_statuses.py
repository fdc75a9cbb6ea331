"""Statuses and parsing details shared by everything that reads the APIs' answers."""

from __future__ import annotations

import pendulum

from airflow_provider_legallymail.models.fields import as_datetime
from airflow_provider_legallymail.models.legallymail import SendResult
from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus


def test_status_sets() -> None:
    assert EmailStatus.terminal() == {EmailStatus.READ, EmailStatus.FAILED, EmailStatus.BOUNCED}
    assert EmailStatus.DELIVERED.is_success and not EmailStatus.DELIVERED.is_terminal
    assert EmailStatus.BOUNCED.is_failure and EmailStatus.BOUNCED.is_terminal
    assert SignatureStatus.SIGNED.is_success and SignatureStatus.EXPIRED.is_failure
    assert SmsStatus.FAILED.is_terminal and not SmsStatus.SENT.is_terminal


def test_unknown_status_values_do_not_crash() -> None:
    assert EmailStatus.parse("Queued") is EmailStatus.UNKNOWN
    assert EmailStatus.parse(" READ ") is EmailStatus.READ
    assert not EmailStatus.UNKNOWN.is_terminal


def test_email_status_progression() -> None:
    assert EmailStatus.READ.reached(EmailStatus.DELIVERED)
    assert not EmailStatus.SENT.reached(EmailStatus.DELIVERED)
    assert not EmailStatus.BOUNCED.reached(EmailStatus.DELIVERED)


def test_dates_without_zone_are_read_in_the_connection_zone() -> None:
    madrid = as_datetime("2024-07-01 12:00:00", "Europe/Madrid")
    assert madrid is not None and madrid.in_timezone("UTC").hour == 10  # CEST is UTC+2
    iso = as_datetime("2019-06-26T05:11:47.000+0000", "Europe/Madrid")
    assert iso == pendulum.datetime(2019, 6, 26, 5, 11, 47, tz="UTC")
    assert as_datetime(None, "UTC") is None and as_datetime("not a date", "UTC") is None


def test_multi_send_with_a_failed_recipient() -> None:
    body = {
        "success": True,
        "data": {
            "tracking_id": "cm_parent",
            "recipients": [
                {"email": "a@example.com", "status": "sent", "tracking_id": "cm_a", "error_details": None},
                {"email": "b@example.com", "status": "failed", "tracking_id": None, "error_details": "rejected"},
            ],
            "success_count": 1,
            "fail_count": 1,
        },
    }
    result = SendResult.from_api(body, "UTC")
    assert (result.success_count, result.fail_count) == (1, 1)
    assert result.recipients[1].status is EmailStatus.FAILED
    assert result.recipients[1].error_details == "rejected"
