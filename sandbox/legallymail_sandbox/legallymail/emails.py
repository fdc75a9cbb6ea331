"""Certified email: ``POST /api/send``, ``GET /api/emails`` and ``GET /api/email``."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_legallymail import limits
from airflow_provider_legallymail.statuses import EmailStatus
from legallymail_sandbox.apis import LEGALLYMAIL_PREFIX, ApiError
from legallymail_sandbox.clock import lm_date
from legallymail_sandbox.legallymail import views
from legallymail_sandbox.legallymail.listing import parse_limit
from legallymail_sandbox.legallymail.sending import outcome_of, parse_send
from legallymail_sandbox.lifecycle import SEND_FAILURE
from legallymail_sandbox.records import EmailRecord, RecipientRecord
from legallymail_sandbox.requestdata import api_base, json_object, param, required_text, sandbox_of

router = APIRouter()


@router.post("/api/send")
async def send(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    state, cfg = sandbox.state, sandbox.config
    parsed = parse_send(await json_object(request), cfg.max_recipients)
    outcomes = [outcome_of(a) for a in parsed.recipients]
    cost = sum(1 for o in outcomes if o != "fail")
    if cost > state.credits:
        raise ApiError(403, f"Insufficient credits: this send needs {cost} email credit(s), {state.credits} remaining")
    multi = len(parsed.recipients) > 1
    recipients = [
        RecipientRecord(tracking_id=f"cm_{secrets.token_hex(8)}", email=a, outcome=o)
        for a, o in zip(parsed.recipients, outcomes, strict=True)
    ]
    email = EmailRecord(
        id=state.next_email_id,
        tracking_id=f"cm_parent_{secrets.token_hex(8)}" if multi else recipients[0].tracking_id,
        subject=parsed.subject,
        message=parsed.message,
        created_at=sandbox.now(),
        mailsender_id=f"mail_{secrets.token_hex(6)}",
        multi=multi,
        recipients=recipients,
        reply_to=parsed.reply_to,
        reply_to_name=parsed.reply_to_name,
        attachments=parsed.attachments,
    )
    state.credits -= cost
    state.add_email(email)
    return JSONResponse(_send_answer(email, cfg.timezone))


def _send_answer(email: EmailRecord, tz: str) -> dict[str, Any]:
    sent_at = lm_date(email.created_at, tz)
    rows = []
    for r in email.recipients:
        failed = r.outcome == "fail"
        rows.append(
            {
                "email": r.email,
                "status": (EmailStatus.FAILED if failed else EmailStatus.SENT).value,
                "tracking_id": r.tracking_id,
                "error_details": SEND_FAILURE[1] if failed else None,
            }
        )
    ok = sum(1 for row in rows if row["status"] == EmailStatus.SENT.value)
    if not email.multi:
        row = rows[0]
        data = {
            "tracking_id": email.tracking_id,
            "recipient": row["email"],
            "subject": email.subject,
            "sent_at": sent_at,
            "mailsender_id": email.mailsender_id,
            "status": row["status"],
            "error_details": row["error_details"],
        }
        message = "Email sent successfully" if ok else "Email sent to 0 of 1 recipients"
        return {"success": True, "message": message, "data": data}
    data = {
        "tracking_id": email.tracking_id,
        "recipients": rows,
        "subject": email.subject,
        "sent_at": sent_at,
        "success_count": ok,
        "fail_count": len(rows) - ok,
        "error_status": SEND_FAILURE[0] if ok < len(rows) else None,
    }
    return {"success": True, "message": f"Email sent to {ok} of {len(rows)} recipients", "data": data}


@router.get("/api/emails")
async def list_emails(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    limit = parse_limit(await param(request, "limit"))
    newest = sorted(sandbox.state.emails.values(), key=lambda e: (e.created_at, e.id), reverse=True)[:limit]
    now = sandbox.now()
    items = [views.email_summary(e, now, sandbox.config) for e in newest]
    return JSONResponse(
        {"success": True, "count": len(items), "limit": limit, "max_limit": limits.LIST_LIMIT_MAX, "emails": items}
    )


@router.get("/api/email")
async def get_email(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    tracking_id = required_text(await param(request, "tracking_id", "id"), "tracking_id")
    tracking_id = tracking_id.strip()
    base = api_base(request, LEGALLYMAIL_PREFIX)
    now = sandbox.now()
    state = sandbox.state
    if tracking_id in state.emails:
        detail = views.email_detail(state.emails[tracking_id], now, sandbox.config, base)
    elif tracking_id in state.recipient_index:
        email = state.recipient_index[tracking_id]
        recipient = next(r for r in email.recipients if r.tracking_id == tracking_id)
        detail = views.recipient_detail(email, recipient, now, sandbox.config, base)
    else:
        raise ApiError(404, f"Email not found: tracking_id {tracking_id!r}")
    return JSONResponse({"success": True, "email": detail})
