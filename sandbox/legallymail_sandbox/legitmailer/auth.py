"""Legitmailer authentication: ``Authorization: Bearer <API key>`` only."""

from __future__ import annotations

import hmac

from fastapi import Request

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.requestdata import sandbox_of


async def require_key(request: Request) -> None:
    key = sandbox_of(request).config.legitmailer_token
    header = request.headers.get("authorization", "").strip()
    if not header.lower().startswith("bearer "):
        raise ApiError(401, "Unauthorized: send Authorization: Bearer <API key>")
    if not hmac.compare_digest(header[7:].strip().encode(), key.encode()):
        raise ApiError(401, "Unauthorized: the API key is wrong")
