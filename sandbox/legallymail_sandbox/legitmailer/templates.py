"""``GET /api/template/list`` and ``GET /api/template/{templateId}``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.legitmailer.catalog import TEMPLATES, template_by_id

router = APIRouter()


@router.get("/api/template/list")
async def list_templates() -> JSONResponse:
    items = [{"name": t.name, "templateId": t.template_id} for t in TEMPLATES]
    return JSONResponse({"count": len(items), "templates": items})


@router.get("/api/template/{template_id}")
async def get_template(template_id: str) -> JSONResponse:
    template = template_by_id(template_id)
    if template is None:
        raise ApiError(404, f"Template not found: {template_id!r}")
    return JSONResponse(
        {
            "contentType": template.content_type,
            "fromEmail": template.from_email,
            "name": template.name,
            "subject": template.subject,
            "body": template.body,
            "tokens": template.tokens,
        }
    )
