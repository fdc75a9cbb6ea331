"""Which API a path belongs to (by prefix), and each API's error body and ``ApiError``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

LEGALLYMAIL = "legallymail"
LEGITMAILER = "legitmailer"
CONTROL = "control"
OTHER = "other"

LEGALLYMAIL_PREFIX = "/legallymail"
LEGITMAILER_PREFIX = "/legitmailer"
CONTROL_PREFIX = "/_sandbox"

_PREFIXES = ((LEGALLYMAIL_PREFIX, LEGALLYMAIL), (LEGITMAILER_PREFIX, LEGITMAILER), (CONTROL_PREFIX, CONTROL))


class ApiError(Exception):
    """An error answer, rendered in the error body of the API the request went to."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def split_path(path: str) -> tuple[str, str]:
    """``/legallymail/api/send`` -> (``legallymail``, ``/api/send``); unknown prefixes -> (``other``, path)."""
    for prefix, api in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return api, path[len(prefix) :] or "/"
    return OTHER, path


def error_body(api: str, status: int, message: str) -> dict[str, Any]:
    """LegallyMail: ``{"success": false, "message"}``; Legitmailer and the rest: ``{"status", "message"}``."""
    if api == LEGALLYMAIL:
        return {"success": False, "message": message}
    return {"status": status, "message": message}


def error_response(api: str, status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(api, status, message), status_code=status, headers=headers)
