"""The emulated LegallyMail API (certified email, e-signature, certified SMS), mounted at ``/legallymail``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from legallymail_sandbox.legallymail import account, downloads, emails, signatures, sms
from legallymail_sandbox.legallymail.auth import require_token


def build_router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(require_token)])
    for module in (account, emails, signatures, sms, downloads):
        router.include_router(module.router)
    return router
