"""LegallyMail authentication: ``Authorization: Bearer <token>``, the bare token, or a ``token`` body field."""

from __future__ import annotations

import hmac

from fastapi import Request

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.requestdata import raw_json, sandbox_of


def _matches(candidate: object, token: str) -> bool:
    return isinstance(candidate, str) and hmac.compare_digest(candidate.encode(), token.encode())


async def require_token(request: Request) -> None:
    token = sandbox_of(request).config.legallymail_token
    header = request.headers.get("authorization", "").strip()
    value = header[7:].strip() if header.lower().startswith("bearer ") else header
    if value and _matches(value, token):
        return
    try:
        body = await raw_json(request)
    except ApiError:
        body = None
    if isinstance(body, dict) and _matches(body.get("token"), token):
        return
    if value or (isinstance(body, dict) and "token" in body):
        raise ApiError(401, "Invalid token")
    raise ApiError(401, 'Missing token: send Authorization: Bearer <token> or a "token" field')
