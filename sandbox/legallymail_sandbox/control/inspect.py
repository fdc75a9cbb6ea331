"""Inspection: every request the APIs received, and every certified and Legitmailer email that went out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from legallymail_sandbox.clock import iso_utc
from legallymail_sandbox.requestdata import sandbox_of

router = APIRouter()


@router.get("/requests")
async def requests_received(
    request: Request, api: str | None = None, method: str | None = None, path: str | None = None
) -> dict[str, Any]:
    """In arrival order, optionally filtered by API, method and path (inside the API, e.g. /api/send)."""
    entries = [
        e
        for e in sandbox_of(request).state.requests
        if (api is None or e["api"] == api)
        and (method is None or e["method"] == method.upper())
        and (path is None or e["path"] == path)
    ]
    return {"count": len(entries), "requests": entries}


@router.get("/legitmailer/sent")
async def legitmailer_sent(request: Request) -> dict[str, Any]:
    """Legitmailer emails sent by now (delayed ones once their time has come), oldest first."""
    sandbox = sandbox_of(request)
    now = sandbox.now()
    sent = sorted((e for e in sandbox.state.lt_emails.values() if e.sent_by(now)), key=lambda e: e.send_at)
    return {
        "count": len(sent),
        "sent": [
            {
                "tracking_id": e.tracking_id,
                "request_id": e.request_id,
                "from_address": e.from_address,
                "to_address": e.to_address,
                "subject": e.subject,
                "body": e.body,
                "content_type": e.content_type,
                "template": e.template,
                "token_map": e.token_map,
                "validate": e.validate,
                "queued_at": iso_utc(e.created_at),
                "sent_at": iso_utc(e.send_at),
            }
            for e in sent
        ],
    }


@router.get("/legallymail/sent")
async def certified_sent(request: Request) -> dict[str, Any]:
    """Certified emails as sent (``POST /api/send``), oldest first: recipients, subject, body, attachments' names,
    types and sizes (the public API does not return a body or attachments)."""
    emails = sorted(sandbox_of(request).state.emails.values(), key=lambda e: e.id)
    return {
        "count": len(emails),
        "sent": [
            {
                "tracking_id": e.tracking_id,
                "recipients": [r.email for r in e.recipients],
                "subject": e.subject,
                "message": e.message,
                "attachments": [{k: a.get(k) for k in ("filename", "mime_type", "size")} for a in e.attachments],
                "created_at": iso_utc(e.created_at),
            }
            for e in emails
        ],
    }
