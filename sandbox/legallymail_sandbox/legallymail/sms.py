"""Certified SMS: ``POST /api/sms/send`` and ``GET /api/sms``."""

from __future__ import annotations

import uuid as uuidlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_legallymail import limits
from airflow_provider_legallymail.statuses import SmsStatus
from legallymail_sandbox.apis import LEGALLYMAIL_PREFIX, ApiError
from legallymail_sandbox.checks import is_phone
from legallymail_sandbox.legallymail import views
from legallymail_sandbox.records import SmsRecord
from legallymail_sandbox.requestdata import (
    api_base,
    first_of,
    json_object,
    param,
    required_text,
    sandbox_of,
)

router = APIRouter()
FAILING_SUFFIX = "999"


@router.post("/api/sms/send")
async def send_sms(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    body = await json_object(request)
    phone = first_of(body, "phone", "recipient")
    if not is_phone(phone):
        raise ApiError(400, f"phone: {phone!r} is not a phone number in international form (+34600000000)")
    message = first_of(body, "message", "text")
    if not isinstance(message, str) or not message.strip() or len(message) > limits.SMS_MAX_CHARS:
        size = len(message) if isinstance(message, str) else 0
        raise ApiError(400, f"message: required, 1 to {limits.SMS_MAX_CHARS} characters (got {size})")
    state = sandbox.state
    if state.sms_credits < 1:
        raise ApiError(403, "Insufficient credits: no SMS credits remaining")
    sms = SmsRecord(str(uuidlib.uuid4()), phone, message, sandbox.now(), phone.endswith(FAILING_SUFFIX))
    state.sms_credits -= 1
    state.save_sms(sms)
    answer = {
        "success": True,
        "uuid": sms.uuid,
        "status": SmsStatus.SENT.value,
        "credits_deducted": 1,
        "message": "Certified SMS sent successfully",
    }
    return JSONResponse(answer)


@router.get("/api/sms")
async def get_sms(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    uuid = required_text(await param(request, "uuid", "id"), "uuid")
    sms = sandbox.state.sms.get(uuid.strip())
    if sms is None:
        raise ApiError(404, f"SMS not found: uuid {uuid!r}")
    detail = views.sms_detail(sms, sandbox.now(), sandbox.config, api_base(request, LEGALLYMAIL_PREFIX))
    return JSONResponse({"success": True, "data": detail})
