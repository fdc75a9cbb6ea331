"""Checks of Legitmailer send bodies, and the email each one produces (rendered, not yet stored)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail import limits
from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.checks import has_tag, is_email, truthy
from legallymail_sandbox.legitmailer.catalog import Template, template_by_name
from legallymail_sandbox.records import LtEmailRecord
from legallymail_sandbox.requestdata import required_text


@dataclass(frozen=True)
class Draft:
    """A checked email, before it is given times and ids."""

    from_address: str
    to_address: str
    subject: str
    body: str
    content_type: str
    validate: bool
    template: str | None = None
    token_map: dict[str, str] | None = None

    def record(self, created_at: float, send_at: float, request_id: str | None = None) -> LtEmailRecord:
        return LtEmailRecord(
            tracking_id=secrets.token_urlsafe(18),
            from_address=self.from_address,
            to_address=self.to_address,
            subject=self.subject,
            body=self.body,
            content_type=self.content_type,
            created_at=created_at,
            send_at=send_at,
            validate=self.validate,
            template=self.template,
            token_map=self.token_map,
            request_id=request_id,
        )


def address(value: Any, field: str, validate: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{field}: required")
    text = value.strip()
    if not is_email(text):
        raise ApiError(400, f"{field}: {text!r} is not a valid email address")
    if validate and has_tag(text, "invalid"):
        raise ApiError(400, f"{field}: {text} failed address validation (undeliverable)")
    return text


def plain_draft(body: dict[str, Any]) -> Draft:
    validate = truthy(body.get("validate", False))
    content_type = body.get("contentType") or "text/html"
    if content_type not in limits.LEGITMAILER_CONTENT_TYPES:
        raise ApiError(
            400, f"contentType: {content_type!r} is not one of {', '.join(limits.LEGITMAILER_CONTENT_TYPES)}"
        )
    return Draft(
        from_address=address(body.get("fromAddress"), "fromAddress", False),
        to_address=address(body.get("toAddress"), "toAddress", validate),
        subject=required_text(body.get("subject"), "subject"),
        body=required_text(body.get("body"), "body"),
        content_type=content_type,
        validate=validate,
    )


def find_template(body: dict[str, Any]) -> Template:
    name = required_text(body.get("template"), "template")
    template = template_by_name(name)
    if template is None:
        raise ApiError(404, f"Template not found: {name!r}")
    return template


def token_map(value: Any, template: Template, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ApiError(400, f"{field}: required, an object of placeholder -> value")
    tokens = {str(k): "" if v is None else str(v) for k, v in value.items()}
    missing = [t for t in template.tokens if t not in tokens]
    if missing:
        raise ApiError(400, f"{field}: missing token(s) for template {template.name!r}: {', '.join(missing)}")
    return tokens


def template_draft(template: Template, email: Any, tokens: Any, validate: bool, where: str = "") -> Draft:
    to_address = address(email, f"{where}email", validate)
    filled = token_map(tokens, template, f"{where}tokenMap")
    subject, body = template.render(filled)
    return Draft(
        from_address=template.from_email,
        to_address=to_address,
        subject=subject,
        body=body,
        content_type=template.content_type,
        validate=validate,
        template=template.name,
        token_map=filled,
    )


def delay_seconds(value: Any) -> float:
    """``delay`` is in seconds (the docs say minutes, but their example sends 300 for "5 minutes")."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ApiError(400, "delay: required, a positive number of seconds")
    return float(value)
