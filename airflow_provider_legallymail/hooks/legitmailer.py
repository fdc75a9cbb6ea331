"""``LegitmailerHook``: one method per Legitmailer endpoint (sends, templates, delayed sends, contacts).

Python names are snake_case; the JSON on the wire keeps the API's camelCase. ``delay`` is in seconds
(see docs/api-choices.md: the docs say minutes, but their example sends 300 for "5 minutes").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from airflow_provider_legallymail import limits, validation
from airflow_provider_legallymail.client.settings import ApiDefaults
from airflow_provider_legallymail.get_provider_info import LEGITMAILER_CONNECTION
from airflow_provider_legallymail.hooks.base import MailApiHook
from airflow_provider_legallymail.models.legitmailer import (
    BatchReceipt,
    Contact,
    ContactList,
    QueuedEmail,
    SendReceipt,
    Template,
    TemplateSummary,
)


def _segment(value: Any, field: str) -> str:
    return quote(validation.identifier(value, field), safe="")


class LegitmailerHook(MailApiHook):
    """Calls the Legitmailer API with the API key of a ``legitmailer`` connection.

    :param legitmailer_conn_id: the Airflow connection holding the API key (password field).
    """

    conn_name_attr = "legitmailer_conn_id"
    default_conn_name = "legitmailer_default"
    conn_type = "legitmailer"
    hook_name = "Legitmailer"
    api_defaults = ApiDefaults(
        conn_type="legitmailer",
        default_host="https://app.legitmailer.com",
        requests_per_minute=0,
        timezone="UTC",
        supports_token_in_body=False,
    )
    connection_info = LEGITMAILER_CONNECTION

    def __init__(self, legitmailer_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(legitmailer_conn_id, **kwargs)
        self.legitmailer_conn_id = legitmailer_conn_id

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.get_conn().request_json(method, path, **kwargs)

    # -- payload builders (validated, camelCase on the wire) -------------------------------------------
    @staticmethod
    def plain_payload(
        from_address: str, to_address: str, subject: str, body: str, content_type: str, validate: bool
    ) -> dict[str, Any]:
        """The validated JSON body of a plain send (raises ``ValidationError``; sends nothing)."""
        return {
            "validate": bool(validate),
            "fromAddress": validation.email_address(from_address, "from_address"),
            "toAddress": validation.email_address(to_address, "to_address"),
            "subject": validation.required_text(subject, "subject"),
            "body": validation.required_text(body, "body"),
            "contentType": validation.one_of(content_type, limits.LEGITMAILER_CONTENT_TYPES, "content_type"),
        }

    @staticmethod
    def template_payload(template: str, email: str, token_map: Mapping[str, Any], validate: bool) -> dict[str, Any]:
        """The validated JSON body of a template send (raises ``ValidationError``; sends nothing)."""
        return {
            "validate": bool(validate),
            "template": validation.identifier(template, "template"),
            "email": validation.email_address(email, "email"),
            "tokenMap": validation.token_map(token_map),
        }

    # -- immediate sends -----------------------------------------------------------------------------
    def send_email(
        self,
        from_address: str,
        to_address: str,
        subject: str,
        body: str,
        *,
        content_type: str = "text/html",
        validate: bool = False,
    ) -> SendReceipt:
        """``POST /api/email``: one email; returns its tracking id."""
        payload = self.plain_payload(from_address, to_address, subject, body, content_type, validate)
        return SendReceipt.from_api(self._call("POST", "/api/email", json=payload))

    def send_template_email(
        self, template: str, email: str, token_map: Mapping[str, Any], *, validate: bool = False
    ) -> SendReceipt:
        """``POST /api/email/template``: a template rendered with ``token_map`` to one address."""
        payload = self.template_payload(template, email, token_map, validate)
        return SendReceipt.from_api(self._call("POST", "/api/email/template", json=payload))

    def send_template_batch(
        self, template: str, recipients: Sequence[Mapping[str, Any]], *, validate: bool = False
    ) -> BatchReceipt:
        """``POST /api/batch/email/template``: one template to many ``{"email", "token_map"}`` recipients."""
        if isinstance(recipients, str | bytes) or not isinstance(recipients, Sequence) or not recipients:
            raise validation.fail("recipients", "a non-empty list of {'email', 'token_map'} is required")
        email_list = []
        for i, entry in enumerate(recipients):
            if not isinstance(entry, Mapping):
                raise validation.fail(f"recipients[{i}]", "each recipient is a mapping with 'email' and 'token_map'")
            email_list.append(
                {
                    "email": validation.email_address(entry.get("email"), f"recipients[{i}].email"),
                    "tokenMap": validation.token_map(
                        entry.get("token_map", entry.get("tokenMap", {})), f"recipients[{i}].token_map"
                    ),
                }
            )
        payload = {
            "validate": bool(validate),
            "template": validation.identifier(template, "template"),
            "emailList": email_list,
        }
        return BatchReceipt.from_api(self._call("POST", "/api/batch/email/template", json=payload))

    # -- delayed sends ---------------------------------------------------------------------------------
    def queue_email(
        self,
        from_address: str,
        to_address: str,
        subject: str,
        body: str,
        *,
        delay: timedelta | int | float,
        content_type: str = "text/html",
        validate: bool = False,
    ) -> QueuedEmail:
        """``POST /api/email/delayed``: send after ``delay`` (a timedelta, or seconds)."""
        payload = self.plain_payload(from_address, to_address, subject, body, content_type, validate)
        payload["delay"] = validation.delay_seconds(delay)
        return QueuedEmail.from_api(self._call("POST", "/api/email/delayed", json=payload))

    def queue_template_email(
        self,
        template: str,
        email: str,
        token_map: Mapping[str, Any],
        *,
        delay: timedelta | int | float,
        validate: bool = False,
    ) -> QueuedEmail:
        """``POST /api/email/template/delayed``: a template send after ``delay`` (a timedelta, or seconds)."""
        payload = self.template_payload(template, email, token_map, validate)
        payload["delay"] = validation.delay_seconds(delay)
        return QueuedEmail.from_api(self._call("POST", "/api/email/template/delayed", json=payload))

    def cancel_queued_email(self, request_id: str) -> None:
        """``DELETE /api/email/delayed/{requestId}``: 204 when removed; ValidationError (400) if already sent."""
        path = f"/api/email/delayed/{_segment(request_id, 'request_id')}"
        self._call("DELETE", path, idempotent=False)

    # -- templates -------------------------------------------------------------------------------------
    def list_templates(self) -> list[TemplateSummary]:
        """``GET /api/template/list``."""
        body = self._call("GET", "/api/template/list")
        return [TemplateSummary.from_api(t) for t in body.get("templates") or [] if isinstance(t, dict)]

    def get_template(self, template_id: str) -> Template:
        """``GET /api/template/{templateId}``: subject, body and its ``${token}`` placeholders."""
        body = self._call("GET", f"/api/template/{_segment(template_id, 'template_id')}")
        return Template.from_api(body, str(template_id))

    # -- contact lists ---------------------------------------------------------------------------------
    def list_contact_lists(self) -> list[ContactList]:
        """``GET /api/contactlist``."""
        body = self._call("GET", "/api/contactlist")
        tz = self.settings.timezone
        return [ContactList.from_api(c, tz) for c in body.get("contactLists") or [] if isinstance(c, dict)]

    def _contact_path(self, contact_list_id: str, customer_id: str) -> str:
        list_part = _segment(contact_list_id, "contact_list_id")
        return f"/api/contactlist/{list_part}/contact/{_segment(customer_id, 'customer_id')}"

    def _contact_payload(self, email: str, data: Any) -> dict[str, Any]:
        return {"email": validation.email_address(email, "email"), "data": validation.contact_data(data)}

    def add_contact(self, contact_list_id: str, customer_id: str, email: str, data: Any) -> dict[str, Any]:
        """``POST /api/contactlist/{id}/contact/{customerId}``; ``data`` is [{column: value}] or a mapping."""
        path = self._contact_path(contact_list_id, customer_id)
        result: dict[str, Any] = self._call("POST", path, json=self._contact_payload(email, data))
        return result

    def get_contact(self, contact_list_id: str, customer_id: str) -> Contact:
        """``GET /api/contactlist/{id}/contact/{customerId}``."""
        body = self._call("GET", self._contact_path(contact_list_id, customer_id))
        return Contact.from_api(body, str(customer_id))

    def update_contact(self, contact_list_id: str, customer_id: str, email: str, data: Any) -> dict[str, Any]:
        """``PUT /api/contactlist/{id}/contact/{customerId}``."""
        path = self._contact_path(contact_list_id, customer_id)
        result: dict[str, Any] = self._call("PUT", path, json=self._contact_payload(email, data))
        return result

    def delete_contact(self, contact_list_id: str, customer_id: str) -> None:
        """``DELETE /api/contactlist/{id}/contact/{customerId}``."""
        self._call("DELETE", self._contact_path(contact_list_id, customer_id))

    def test_connection(self) -> tuple[bool, str]:
        """Read-only check: ``GET /api/template/list``."""
        return self._check(lambda: f"Connected: {len(self.list_templates())} template(s) available")
