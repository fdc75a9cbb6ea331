"""E-signature: ``POST /api/signature/send``, ``GET /api/signatures`` and ``GET /api/signature``."""

from __future__ import annotations

import base64
import uuid as uuidlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_legallymail import limits
from legallymail_sandbox.apis import LEGALLYMAIL_PREFIX, ApiError
from legallymail_sandbox.checks import decode_base64, has_tag, is_email, is_phone
from legallymail_sandbox.evidence import sha256_hex
from legallymail_sandbox.legallymail import views
from legallymail_sandbox.legallymail.listing import parse_limit
from legallymail_sandbox.records import SignatureRecord, SignerRecord
from legallymail_sandbox.requestdata import api_base, json_object, param, required_text, sandbox_of

router = APIRouter()


def signer_outcome(address: str) -> str:
    """``+decline`` declines, ``+nosign`` never signs (the request expires); anyone else signs."""
    if has_tag(address, "decline"):
        return "decline"
    if has_tag(address, "nosign"):
        return "nosign"
    return "sign"


def _signer(name: Any, email: Any, phone: Any, where: str) -> SignerRecord:
    checked_name = required_text(name, f"{where}name")
    if not isinstance(email, str) or not email.strip():
        raise ApiError(400, f"{where}email: required")
    if not is_email(email.strip()):
        raise ApiError(400, f"{where}email: {email!r} is not a valid email address")
    if phone is not None and phone != "" and not is_phone(phone):
        raise ApiError(400, f"{where}phone: {phone!r} is not a phone number in international form (+34600000000)")
    return SignerRecord(checked_name, email.strip(), phone or None, signer_outcome(email))


def _signers(body: dict[str, Any]) -> list[SignerRecord]:
    listed = body.get("signers")
    if listed is None:
        return [_signer(body.get("signer_name"), body.get("signer_email"), body.get("signer_phone"), "signer_")]
    if not isinstance(listed, list) or not 1 <= len(listed) <= limits.MAX_SIGNERS:
        raise ApiError(400, f"signers: expected a list of 1 to {limits.MAX_SIGNERS} {{name, email, phone?}} objects")
    result = []
    for i, item in enumerate(listed):
        if not isinstance(item, dict):
            raise ApiError(400, f"signers[{i}]: expected an object with name, email and phone (optional)")
        result.append(_signer(item.get("name"), item.get("email"), item.get("phone"), f"signers[{i}]."))
    return result


def _document(value: Any) -> bytes:
    if value is None or value == "":
        raise ApiError(400, "document: required (the PDF, base64)")
    data = decode_base64(value)
    if data is None:
        raise ApiError(400, "document: not valid base64")
    if len(data) > limits.PDF_MAX_BYTES:
        raise ApiError(400, f"document: {len(data)} bytes; a PDF of at most {limits.PDF_MAX_BYTES} bytes is accepted")
    if b"%PDF-" not in data[:1024]:
        raise ApiError(400, "document: not a PDF (no %PDF- header)")
    return data


@router.post("/api/signature/send")
async def send_signature(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    body = await json_object(request)
    signers = _signers(body)
    document = _document(body.get("document"))
    document_name = required_text(body.get("document_name"), "document_name")
    language = body.get("language") or "es"
    if language not in limits.SIGNATURE_LANGUAGES:
        raise ApiError(400, f"language: {language!r} is not one of {', '.join(limits.SIGNATURE_LANGUAGES)}")
    now = sandbox.now()
    signature = SignatureRecord(
        uuid=str(uuidlib.uuid4()),
        document_name=document_name,
        language=language,
        document_b64=base64.b64encode(document).decode("ascii"),
        document_hash=sha256_hex(document),
        created_at=now,
        expires_at=now + sandbox.config.signature_ttl,
        signers=signers,
    )
    sandbox.state.save_signature(signature)
    summary = views.signature_summary(signature, now, sandbox.config)
    summary.pop("signed_at")
    return JSONResponse({"success": True, "message": "Signature request sent successfully", "data": summary})


@router.get("/api/signatures")
async def list_signatures(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    limit = parse_limit(await param(request, "limit"))
    newest = sorted(sandbox.state.signatures.values(), key=lambda s: s.created_at, reverse=True)[:limit]
    now = sandbox.now()
    return JSONResponse({"success": True, "data": [views.signature_summary(s, now, sandbox.config) for s in newest]})


@router.get("/api/signature")
async def get_signature(request: Request) -> JSONResponse:
    sandbox = sandbox_of(request)
    uuid = required_text(await param(request, "uuid", "id"), "uuid")
    signature = sandbox.state.signatures.get(uuid.strip())
    if signature is None:
        raise ApiError(404, f"Signature request not found: uuid {uuid!r}")
    detail = views.signature_detail(signature, sandbox.now(), sandbox.config, api_base(request, LEGALLYMAIL_PREFIX))
    return JSONResponse({"success": True, "data": detail})
