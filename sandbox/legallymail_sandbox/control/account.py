"""Control of the account limits: email and SMS credits, and LegallyMail's rate limit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from legallymail_sandbox.control.params import number, required_number
from legallymail_sandbox.requestdata import json_object, sandbox_of
from legallymail_sandbox.runtime import Sandbox

router = APIRouter()


def _credits(sandbox: Sandbox) -> dict[str, Any]:
    return {"emails": sandbox.state.credits, "sms": sandbox.state.sms_credits}


def _rate(sandbox: Sandbox) -> dict[str, Any]:
    return {"limit": sandbox.limiter.limit, "window": sandbox.limiter.window}


@router.get("/credits")
async def get_credits(request: Request) -> dict[str, Any]:
    return _credits(sandbox_of(request))


@router.post("/credits")
async def set_credits(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    body = await json_object(request)
    emails = number(body, "emails", integer=True)
    sms = number(body, "sms", integer=True)
    if emails is not None:
        sandbox.state.credits = int(emails)
    if sms is not None:
        sandbox.state.sms_credits = int(sms)
    sandbox.state.save_account()
    return _credits(sandbox)


@router.get("/rate-limit")
async def get_rate_limit(request: Request) -> dict[str, Any]:
    return _rate(sandbox_of(request))


@router.post("/rate-limit")
async def set_rate_limit(request: Request) -> dict[str, Any]:
    """``{"limit": N, "window": seconds}`` (either may be omitted); ``limit: 0`` disables the limit."""
    sandbox = sandbox_of(request)
    body = await json_object(request)
    limit = number(body, "limit", integer=True)
    window = number(body, "window", minimum=0.001)
    sandbox.limiter.configure(
        int(limit) if limit is not None else sandbox.limiter.limit,
        window if window is not None else sandbox.limiter.window,
    )
    return _rate(sandbox)


@router.post("/rate-limit/elapse")
async def elapse(request: Request) -> dict[str, Any]:
    """Age the rate limiter's window by ``seconds`` as if they had passed (tests skip a wait this way)."""
    sandbox = sandbox_of(request)
    sandbox.limiter.elapse(required_number(await json_object(request), "seconds"))
    return _rate(sandbox)
