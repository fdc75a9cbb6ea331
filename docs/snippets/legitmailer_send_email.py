"""One Legitmailer email now, a template email queued for later and cancelled, and one queued until a time."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legitmailer import (
    CancelDelayedEmailOperator,
    LegitmailerSendEmailOperator,
)

with DAG(
    "legitmailer_single_emails",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1),
    default_args={"retries": 2},  # safe: a retry adopts the email an earlier try sent or queued
) as dag:
    # [START legitmailer_send_now]
    receipt = LegitmailerSendEmailOperator(
        task_id="send_receipt",
        from_address="billing@example.com",
        to_address="ana@example.com",
        subject="Your receipt for {{ ds }}",
        body="<p>Thank you for your payment.</p>",
    )
    # [END legitmailer_send_now]

    # [START legitmailer_send_delayed]
    reminder = LegitmailerSendEmailOperator(
        task_id="queue_reminder",
        template="welcome",
        email="ana@example.com",  # a template's recipient (to_address works too)
        token_map={"name": "Ana"},
        delay=timedelta(hours=1),  # or seconds: 3600
    )
    cancel = CancelDelayedEmailOperator(
        task_id="cancel_reminder",
        request_id=reminder.output,  # the request id the queued send returned
    )
    reminder >> cancel
    # [END legitmailer_send_delayed]

    # [START legitmailer_send_at]
    follow_up = LegitmailerSendEmailOperator(
        task_id="queue_follow_up",
        from_address="billing@example.com",
        to_address="ana@example.com",
        subject="How was your first week?",
        body="Reply to this email with any question.",
        content_type="text/plain",
        send_at="{{ (dag_run.logical_date + macros.timedelta(hours=2)).isoformat() }}",  # naive means UTC
    )
    # [END legitmailer_send_at]
    receipt >> [reminder, follow_up]
