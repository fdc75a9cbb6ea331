"""``GET /api/info``: the account, its plan and remaining email credits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from legallymail_sandbox.requestdata import sandbox_of

router = APIRouter()


@router.get("/api/info")
async def info(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    state, config = sandbox.state, sandbox.config
    user = {
        "email": config.account_email,
        "name": config.account_name,
        "plan": "professional",
        "plan_name": "Profesional",
        "plan_limit": config.credits,
        "extra_emails": max(0, state.credits - config.credits),
        "remaining_emails": state.credits,
        "remaining_sms": state.sms_credits,
    }
    return JSONResponse({"name": "LegallyMail API", "version": "1.0.0", "user": user})
