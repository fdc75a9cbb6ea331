"""Control of time and outcomes: reset, clock, speed, mark an email read, sign or decline a signature."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus
from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.clock import iso_utc, lm_date, lt_date
from legallymail_sandbox.control.params import required_number
from legallymail_sandbox.lifecycle import email_views, signature_view
from legallymail_sandbox.requestdata import json_object, sandbox_of
from legallymail_sandbox.runtime import Sandbox

router = APIRouter()
UNREADABLE = frozenset({"fail", "bounce"})  # a soft-bounced recipient is delivered: it can be marked read


def clock_json(sandbox: Sandbox) -> dict[str, Any]:
    now = sandbox.now()
    return {
        "now": iso_utc(now),
        "epoch": now,
        "legallymail": lm_date(now, sandbox.config.timezone),
        "legitmailer": lt_date(now),
        "speed": sandbox.clock.speed,
        "offset": sandbox.clock.offset,
    }


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    sandbox.reset()
    return {"reset": True, "clock": clock_json(sandbox)}


@router.get("/clock")
async def clock(request: Request) -> dict[str, Any]:
    return clock_json(sandbox_of(request))


@router.post("/clock/advance")
async def advance(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    sandbox.clock.advance(required_number(await json_object(request), "seconds"))
    sandbox.state.save_account()
    return clock_json(sandbox)


@router.post("/speed")
async def speed(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    sandbox.clock.set_speed(required_number(await json_object(request), "factor"))
    return clock_json(sandbox)


@router.post("/emails/{tracking_id}/read")
async def mark_read(request: Request, tracking_id: str) -> dict[str, Any]:
    """Mark every recipient of a (parent) email read now, or one recipient by its own tracking id."""
    sandbox = sandbox_of(request)
    state = sandbox.state
    email = state.emails.get(tracking_id) or state.recipient_index.get(tracking_id)
    if email is None:
        raise ApiError(404, f"no email or recipient with tracking id {tracking_id!r}")
    now = sandbox.now()
    views = email_views(email, now, sandbox.config)
    marked = []
    for recipient, view in zip(email.recipients, views, strict=True):
        chosen = tracking_id in (email.tracking_id, recipient.tracking_id)
        if chosen and recipient.outcome not in UNREADABLE and view.status != EmailStatus.READ:
            recipient.read_marked_at = now
            marked.append(recipient.tracking_id)
    state.save_email(email)
    return {"tracking_id": tracking_id, "marked": marked}


async def _act(request: Request, uuid: str, action: str) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    signature = sandbox.state.signatures.get(uuid)
    if signature is None:
        raise ApiError(404, f"no signature request {uuid!r}")
    now = sandbox.now()
    view = signature_view(signature, now, sandbox.config)
    if view.status.is_terminal:
        raise ApiError(400, f"the signature request is already {view.status.value}")
    signer_email = (await json_object(request)).get("signer_email")
    chosen = [
        (signer, signer_view)
        for signer, signer_view in zip(signature.signers, view.signers, strict=True)
        if signer_email is None or signer.email.lower() == str(signer_email).lower()
    ]
    if not chosen:
        raise ApiError(404, f"no signer {signer_email!r} in signature request {uuid!r}")
    for signer, signer_view in chosen:
        if signer_view.status == SignatureStatus.PENDING:
            if action == "sign":
                signer.signed_manual = now
            else:
                signer.declined_manual = now
    sandbox.state.save_signature(signature)
    return {"uuid": uuid, "status": signature_view(signature, now, sandbox.config).status.value}


@router.post("/signatures/{uuid}/sign")
async def sign(request: Request, uuid: str) -> dict[str, Any]:
    return await _act(request, uuid, "sign")


@router.post("/signatures/{uuid}/decline")
async def decline(request: Request, uuid: str) -> dict[str, Any]:
    return await _act(request, uuid, "decline")
