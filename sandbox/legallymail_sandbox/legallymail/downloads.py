"""The PDFs behind LegallyMail's download URLs (same token as the API): certificates, originals, actas."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from airflow_provider_legallymail.statuses import SignatureStatus, SmsStatus
from legallymail_sandbox import evidence
from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.lifecycle import email_views, signature_view, sms_view
from legallymail_sandbox.requestdata import sandbox_of

router = APIRouter()


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/emails/download-certificate")
async def email_certificate(request: Request) -> Response:
    sandbox = sandbox_of(request)
    tracking_id = request.query_params.get("id", "")
    stage = request.query_params.get("status", "")
    if not tracking_id or not stage:
        raise ApiError(400, "id and status are required")
    email = sandbox.state.recipient_index.get(tracking_id)
    if email is None:
        raise ApiError(404, f"Certificate not found: no recipient {tracking_id!r}")
    index = next(i for i, r in enumerate(email.recipients) if r.tracking_id == tracking_id)
    view = email_views(email, sandbox.now(), sandbox.config)[index]
    reached = dict(view.stages)
    if stage not in reached:
        raise ApiError(404, f"Certificate not found: {tracking_id} has not reached {stage!r}")
    tz = sandbox.config.timezone
    pdf = evidence.email_certificate_pdf(email, email.recipients[index], stage, reached[stage], tz)
    return _pdf(pdf, f"certificate-{tracking_id}-{stage}.pdf")


@router.get("/dashboard/electronic-signature/download-original/{uuid}")
async def signature_original(request: Request, uuid: str) -> Response:
    signature = sandbox_of(request).state.signatures.get(uuid)
    if signature is None:
        raise ApiError(404, f"Signature request not found: uuid {uuid!r}")
    return _pdf(evidence.original_pdf(signature), signature.document_name)


@router.get("/dashboard/electronic-signature/download-acta/{uuid}")
async def signature_acta(request: Request, uuid: str) -> Response:
    sandbox = sandbox_of(request)
    signature = sandbox.state.signatures.get(uuid)
    if signature is None:
        raise ApiError(404, f"Signature request not found: uuid {uuid!r}")
    view = signature_view(signature, sandbox.now(), sandbox.config)
    if view.status != SignatureStatus.SIGNED:
        raise ApiError(404, f"No acta yet: the signature request is {view.status.value}")
    return _pdf(evidence.acta_pdf(signature, view, sandbox.config.timezone), f"acta-{uuid}.pdf")


@router.get("/dashboard/certified-sms/download-certificate/{uuid}")
async def sms_certificate(request: Request, uuid: str) -> Response:
    sandbox = sandbox_of(request)
    sms = sandbox.state.sms.get(uuid)
    if sms is None:
        raise ApiError(404, f"SMS not found: uuid {uuid!r}")
    view = sms_view(sms, sandbox.now(), sandbox.config)
    if view.status != SmsStatus.DELIVERED or view.delivered_at is None:
        raise ApiError(404, f"No certificate: the SMS is {view.status.value}")
    return _pdf(evidence.sms_certificate_pdf(sms, view.delivered_at, sandbox.config.timezone), f"sms-{uuid}.pdf")
