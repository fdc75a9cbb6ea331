"""``create_app``: the FastAPI app serving LegallyMail, Legitmailer and the control API under their prefixes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from legallymail_sandbox import control, legallymail, legitmailer
from legallymail_sandbox.apis import (
    CONTROL_PREFIX,
    LEGALLYMAIL_PREFIX,
    LEGITMAILER_PREFIX,
    ApiError,
    error_response,
    split_path,
)
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.middleware import SandboxMiddleware
from legallymail_sandbox.runtime import Sandbox


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(split_path(request.url.path)[0], exc.status, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    texts = {404: f"Not found: {path}", 405: f"Method {request.method} not allowed on {path}"}
    message = texts.get(exc.status_code, str(exc.detail))
    return error_response(split_path(path)[0], exc.status_code, message, dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("path", "query", "body"))
    message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
    return error_response(split_path(request.url.path)[0], 400, message)


def create_app(config: SandboxConfig | None = None, *, sandbox: Sandbox | None = None) -> FastAPI:
    """One app, one ``Sandbox`` (its state and store); ``app.state.sandbox`` gives tests direct access."""
    sandbox = sandbox or Sandbox(config)
    app = FastAPI(
        title="LegallyMail / Legitmailer sandbox",
        docs_url=f"{CONTROL_PREFIX}/docs",
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        redoc_url=None,
    )
    app.state.sandbox = sandbox
    app.include_router(legallymail.build_router(), prefix=LEGALLYMAIL_PREFIX)
    app.include_router(legitmailer.build_router(), prefix=LEGITMAILER_PREFIX)
    app.include_router(control.build_router(), prefix=CONTROL_PREFIX)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(SandboxMiddleware, sandbox=sandbox)
    return app
