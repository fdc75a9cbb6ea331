"""Checks of a ``POST /api/send`` body and the outcome each recipient address asks for (``+tag``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.checks import decode_base64, has_tag, is_email
from legallymail_sandbox.evidence import sha256_hex
from legallymail_sandbox.requestdata import first_of, required_text

OUTCOME_TAGS = ("fail", "softbounce", "bounce", "noread")


def outcome_of(address: str) -> str:
    """``+fail``, ``+softbounce``, ``+bounce``, ``+noread`` in the local part; otherwise ``deliver``."""
    return next((tag for tag in OUTCOME_TAGS if has_tag(address, tag)), "deliver")


@dataclass(frozen=True)
class SendRequest:
    recipients: list[str]
    subject: str
    message: str
    reply_to: str | None
    reply_to_name: str | None
    attachments: list[dict[str, Any]]


def _recipients(value: Any, max_recipients: int) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ApiError(400, "recipient: required (one address, or several separated by commas)")
    addresses = [a.strip() for a in value.split(",") if a.strip()]
    if not addresses:
        raise ApiError(400, "recipient: required (one address, or several separated by commas)")
    if len(addresses) > max_recipients:
        raise ApiError(400, f"recipient: {len(addresses)} recipients; at most {max_recipients} per request")
    for address in addresses:
        if not is_email(address):
            raise ApiError(400, f"recipient: {address!r} is not a valid email address")
    return addresses


def _attachments(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, "attachments: expected a list of {filename, content, mime_type}")
    result = []
    for i, item in enumerate(value):
        where = f"attachments[{i}]"
        if not isinstance(item, dict):
            raise ApiError(400, f"{where}: expected an object with filename, content and mime_type")
        filename = required_text(item.get("filename"), f"{where}.filename")
        mime_type = required_text(item.get("mime_type"), f"{where}.mime_type")
        content = decode_base64(item.get("content"))
        if content is None:
            raise ApiError(400, f"{where}.content: required, valid base64")
        result.append(
            {"filename": filename, "mime_type": mime_type, "size": len(content), "sha256": sha256_hex(content)}
        )
    return result


def parse_send(body: dict[str, Any], max_recipients: int) -> SendRequest:
    recipients = _recipients(first_of(body, "recipient", "to"), max_recipients)
    subject = required_text(body.get("subject"), "subject")
    message = required_text(first_of(body, "message", "body", "content"), "message")
    reply_to = body.get("reply_to")
    if reply_to is not None and reply_to != "":
        if not is_email(reply_to):
            raise ApiError(400, f"reply_to: {reply_to!r} is not a valid email address")
        if has_tag(reply_to, "unverified"):
            raise ApiError(400, f"reply_to: {reply_to} is not a registered and verified sender of this account")
    else:
        reply_to = None
    reply_to_name = body.get("reply_to_name")
    if reply_to_name is not None and not isinstance(reply_to_name, str):
        raise ApiError(400, "reply_to_name: expected a string")
    return SendRequest(recipients, subject, message, reply_to, reply_to_name, _attachments(body.get("attachments")))
