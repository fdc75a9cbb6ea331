"""The emulated Legitmailer API (sends, templates, delayed sends, contact lists), mounted at ``/legitmailer``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from legallymail_sandbox.legitmailer import contacts, sends, templates
from legallymail_sandbox.legitmailer.auth import require_key


def build_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(require_key)])
    for module in (sends, templates, contacts):
        router.include_router(module.router)
    return router
