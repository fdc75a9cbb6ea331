"""``GET /samples`` (templates and their tokens, contact lists and their columns, outcome tags, the sample PDF's
URL) and ``GET /samples/contract.pdf`` (a PDF to sign or attach)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from legallymail_sandbox import samples
from legallymail_sandbox.requestdata import sandbox_of

router = APIRouter()


@router.get("/samples")
async def list_samples(request: Request) -> dict[str, Any]:
    return samples.catalog(str(request.base_url).rstrip("/"), sandbox_of(request).config)


@router.get(f"/samples/{samples.SAMPLE_PDF_NAME}")
async def sample_pdf() -> Response:
    disposition = f'inline; filename="{samples.SAMPLE_PDF_NAME}"'
    return Response(samples.sample_pdf(), media_type="application/pdf", headers={"Content-Disposition": disposition})
