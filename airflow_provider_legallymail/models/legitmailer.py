"""Results of the Legitmailer API: send receipts, templates, contact lists and contacts.

Attribute names are the snake_case of the API's camelCase fields; ``raw`` keeps the whole JSON object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pendulum import DateTime

from airflow_provider_legallymail.models.fields import as_datetime, as_dict, as_int, as_list, as_str

TOKEN_PATTERN = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class SendReceipt:
    """Answer to an immediate send: ``{"trackingId": ...}``."""

    tracking_id: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SendReceipt:
        return cls(tracking_id=str(data.get("trackingId", "")), raw=data)


@dataclass(frozen=True)
class QueuedEmail:
    """Answer to a delayed send: ``{"requestId": ...}`` (the docs' template example says trackingId)."""

    request_id: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> QueuedEmail:
        return cls(request_id=str(data.get("requestId") or data.get("trackingId") or ""), raw=data)


@dataclass(frozen=True)
class BatchReceipt:
    """Answer to a batch template send (undocumented: ``trackingIds`` when the API gives them)."""

    tracking_ids: list[str]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> BatchReceipt:
        ids = data.get("trackingIds")
        if not isinstance(ids, list):
            single = data.get("trackingId")
            ids = [single] if single else []
        return cls(tracking_ids=[str(i) for i in ids], raw=data)


@dataclass(frozen=True)
class TemplateSummary:
    name: str
    template_id: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TemplateSummary:
        return cls(name=str(data.get("name", "")), template_id=str(data.get("templateId", "")))


@dataclass(frozen=True)
class Template:
    """A template's detail; ``tokens`` lists the ``${token}`` placeholders its body needs."""

    template_id: str
    name: str | None
    subject: str | None
    body: str | None
    content_type: str | None
    from_email: str | None
    tokens: list[str]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], template_id: str) -> Template:
        tokens = [str(t) for t in as_list(data.get("tokens"))]
        body = as_str(data.get("body"))
        if not tokens and body:
            tokens = list(dict.fromkeys(TOKEN_PATTERN.findall(body)))
        return cls(
            template_id=template_id,
            name=as_str(data.get("name")),
            subject=as_str(data.get("subject")),
            body=body,
            content_type=as_str(data.get("contentType")),
            from_email=as_str(data.get("fromEmail")),
            tokens=tokens,
            raw=data,
        )


@dataclass(frozen=True)
class ContactList:
    contact_list_id: str
    name: str | None
    description: str | None
    size: int | None
    created_on: DateTime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], tz: str) -> ContactList:
        return cls(
            contact_list_id=str(data.get("contactListId", "")),
            name=as_str(data.get("name")),
            description=as_str(data.get("description")),
            size=as_int(data.get("size")),
            created_on=as_datetime(data.get("createdOn"), tz),
            raw=data,
        )


@dataclass(frozen=True)
class Contact:
    contact_list_name: str | None
    customer_id: str
    email: str | None
    data: list[dict[str, Any]]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any], customer_id: str) -> Contact:
        return cls(
            contact_list_name=as_str(data.get("contactListName")),
            customer_id=str(data.get("customerId") or customer_id),
            email=as_str(data.get("email")),
            data=[as_dict(d) for d in as_list(data.get("data"))],
            raw=data,
        )
