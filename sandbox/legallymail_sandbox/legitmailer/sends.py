"""Legitmailer sends: immediate, template, batch template, delayed (and their cancellation)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.checks import truthy
from legallymail_sandbox.legitmailer.compose import (
    Draft,
    delay_seconds,
    find_template,
    plain_draft,
    template_draft,
)
from legallymail_sandbox.requestdata import json_object, sandbox_of
from legallymail_sandbox.runtime import Sandbox

router = APIRouter()


def _send_now(sandbox: Sandbox, draft: Draft) -> str:
    now = sandbox.now()
    record = draft.record(now, now)
    sandbox.state.save_lt_email(record)
    return record.tracking_id


def _queue(sandbox: Sandbox, draft: Draft, delay: float) -> str:
    now = sandbox.now()
    record = draft.record(now, now + delay, request_id=secrets.token_urlsafe(9))
    sandbox.state.save_lt_email(record)
    assert record.request_id is not None
    return record.request_id


async def _template_draft(request: Request) -> Draft:
    body = await json_object(request)
    template = find_template(body)
    return template_draft(template, body.get("email"), body.get("tokenMap"), truthy(body.get("validate", False)))


@router.post("/api/email")
async def send_email(request: Request) -> JSONResponse:
    draft = plain_draft(await json_object(request))
    return JSONResponse({"trackingId": _send_now(sandbox_of(request), draft)})


@router.post("/api/email/template")
async def send_template(request: Request) -> JSONResponse:
    draft = await _template_draft(request)
    return JSONResponse({"trackingId": _send_now(sandbox_of(request), draft)})


@router.post("/api/batch/email/template")
async def send_batch(request: Request) -> JSONResponse:
    body = await json_object(request)
    template = find_template(body)
    validate = truthy(body.get("validate", False))
    entries = body.get("emailList")
    if not isinstance(entries, list) or not entries:
        raise ApiError(400, "emailList: required, a non-empty list of {email, tokenMap}")
    drafts = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ApiError(400, f"emailList[{i}]: expected an object with email and tokenMap")
        drafts.append(template_draft(template, entry.get("email"), entry.get("tokenMap"), validate, f"emailList[{i}]."))
    sandbox = sandbox_of(request)
    return JSONResponse({"trackingIds": [_send_now(sandbox, d) for d in drafts]})


@router.post("/api/email/delayed")
async def queue_email(request: Request) -> JSONResponse:
    body = await json_object(request)
    draft = plain_draft(body)
    delay = delay_seconds(body.get("delay"))
    return JSONResponse({"requestId": _queue(sandbox_of(request), draft, delay)})


@router.post("/api/email/template/delayed")
async def queue_template(request: Request) -> JSONResponse:
    body = await json_object(request)
    draft = await _template_draft(request)
    delay = delay_seconds(body.get("delay"))
    return JSONResponse({"requestId": _queue(sandbox_of(request), draft, delay)})


@router.delete("/api/email/delayed/{request_id}")
async def cancel(request: Request, request_id: str) -> Response:
    sandbox = sandbox_of(request)
    record = sandbox.state.delayed.get(request_id)
    if record is None:
        raise ApiError(400, f"Unknown requestId {request_id!r}")
    if record.cancelled_at is not None:
        raise ApiError(400, f"requestId {request_id!r} was already cancelled")
    now = sandbox.now()
    if record.sent_by(now):
        raise ApiError(400, f"requestId {request_id!r} was already sent")
    record.cancelled_at = now
    sandbox.state.save_lt_email(record)
    return Response(status_code=204)
