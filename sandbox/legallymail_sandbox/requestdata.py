"""Reading a request inside a route: the sandbox it belongs to, its JSON body, parameters and base URL."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.runtime import Sandbox

_BODY_KEY = "sandbox_json_body"


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def raw_json(request: Request) -> Any:
    """The parsed JSON body (None when empty); ``ApiError(400)`` when it is not JSON."""
    if not hasattr(request.state, _BODY_KEY):
        raw = await request.body()
        parsed: Any = None
        error: str | None = None
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                error = f"invalid JSON body: {exc}"
        setattr(request.state, _BODY_KEY, (parsed, error))
    parsed, error = getattr(request.state, _BODY_KEY)
    if error:
        raise ApiError(400, error)
    return parsed


async def json_object(request: Request) -> dict[str, Any]:
    """The JSON body as an object ({} when empty); 400 when it is another JSON value."""
    parsed = await raw_json(request)
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise ApiError(400, "the JSON body must be an object")
    return parsed


def first_of(data: dict[str, Any], *names: str) -> Any:
    """The value of the first of ``names`` present (not None) in ``data``: a field and its aliases."""
    for name in names:
        if data.get(name) is not None:
            return data[name]
    return None


async def param(request: Request, *names: str) -> Any:
    """A parameter from the query string, else from the JSON body (clients that send GET bodies)."""
    for name in names:
        if name in request.query_params:
            return request.query_params[name]
    body = await json_object(request)
    return first_of(body, *names)


def required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{field}: required (a non-empty string)")
    return value


def api_base(request: Request, prefix: str) -> str:
    """The absolute base URL of one API on this server, e.g. ``http://127.0.0.1:8765/legallymail``."""
    return str(request.base_url).rstrip("/") + prefix
