"""``LegallyMailHook``: one method per LegallyMail endpoint (certified email, e-signature, certified SMS)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from airflow_provider_legallymail import limits, validation
from airflow_provider_legallymail.client.settings import ApiDefaults
from airflow_provider_legallymail.exceptions import MailApiError
from airflow_provider_legallymail.get_provider_info import LEGALLYMAIL_CONNECTION
from airflow_provider_legallymail.hooks.base import MailApiHook
from airflow_provider_legallymail.models.attachments import read_source, to_attachments
from airflow_provider_legallymail.models.legallymail import (
    AccountInfo,
    Email,
    SendResult,
    SignatureRequest,
    Sms,
    SmsSendResult,
)


class LegallyMailHook(MailApiHook):
    """Calls the LegallyMail API with the token of a ``legallymail`` connection.

    :param legallymail_conn_id: the Airflow connection holding the API token (password field).
    """

    conn_name_attr = "legallymail_conn_id"
    default_conn_name = "legallymail_default"
    conn_type = "legallymail"
    hook_name = "LegallyMail"
    api_defaults = ApiDefaults(
        conn_type="legallymail",
        default_host="https://legallymail.com",
        requests_per_minute=limits.LEGALLYMAIL_REQUESTS_PER_MINUTE,
        timezone="Europe/Madrid",
        supports_token_in_body=True,
    )
    connection_info = LEGALLYMAIL_CONNECTION

    def __init__(self, legallymail_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(legallymail_conn_id, **kwargs)
        self.legallymail_conn_id = legallymail_conn_id

    # -- plumbing ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self.get_conn().request_json(method, path, **kwargs)
        if not isinstance(body, dict):
            raise MailApiError("the API answered with an unexpected JSON shape", method=method, endpoint=path)
        if body.get("success") is False:
            message = str(body.get("message") or body.get("error") or "the API reported a failure")
            raise MailApiError(message, method=method, endpoint=path, api_message=message)
        return body

    @property
    def _tz(self) -> str:
        return self.settings.timezone

    # -- account -----------------------------------------------------------------------------------
    def get_account_info(self) -> AccountInfo:
        """``GET /api/info``: plan and remaining emails of the token's account."""
        return AccountInfo.from_api(self._call("GET", "/api/info"))

    # -- certified email ---------------------------------------------------------------------------
    def email_payload(
        self,
        recipients: str | list[str],
        subject: str,
        html: str,
        *,
        reply_to: str | None = None,
        reply_to_name: str | None = None,
        attachments: Any = None,
    ) -> dict[str, Any]:
        """The validated JSON body of ``POST /api/send`` (raises ``ValidationError``; sends nothing)."""
        addresses = validation.recipient_list(recipients, "recipients", self.settings.max_recipients)
        payload: dict[str, Any] = {
            "recipient": ", ".join(addresses),
            "subject": validation.required_text(subject, "subject"),
            "message": validation.required_text(html, "html"),
        }
        if reply_to:
            payload["reply_to"] = validation.email_address(reply_to, "reply_to")
        if reply_to_name:
            payload["reply_to_name"] = str(reply_to_name)
        files = to_attachments(attachments)
        if files:
            payload["attachments"] = [f.to_api() for f in files]
        return payload

    def post_email(self, payload: dict[str, Any]) -> SendResult:
        """``POST /api/send`` with a body from ``email_payload`` (sent at most once)."""
        return SendResult.from_api(self._call("POST", "/api/send", json=payload), self._tz)

    def send_email(
        self,
        recipients: str | list[str],
        subject: str,
        html: str,
        *,
        reply_to: str | None = None,
        reply_to_name: str | None = None,
        attachments: Any = None,
    ) -> SendResult:
        """``POST /api/send``: one certified email to 1..max_recipients addresses (sent at most once)."""
        payload = self.email_payload(
            recipients, subject, html, reply_to=reply_to, reply_to_name=reply_to_name, attachments=attachments
        )
        return self.post_email(payload)

    def list_emails(self, limit: int = 25) -> list[Email]:
        """``GET /api/emails``: the most recent emails, newest first (limit 1..25)."""
        body = self._call("GET", "/api/emails", params={"limit": validation.list_limit(limit)})
        return [Email.from_api(e, self._tz) for e in body.get("emails") or [] if isinstance(e, dict)]

    def get_email(self, tracking_id: str) -> Email:
        """``GET /api/email``: one email with its per-recipient statuses and certificates."""
        params = {"tracking_id": validation.identifier(tracking_id, "tracking_id")}
        body = self._call("GET", "/api/email", params=params)
        return Email.from_api(body.get("email") or body.get("data") or {}, self._tz)

    # -- e-signature -------------------------------------------------------------------------------
    def signature_payload(
        self,
        document: Any,
        document_name: str | None,
        signers: list[dict[str, str]],
        *,
        language: str = "es",
    ) -> dict[str, Any]:
        """The validated JSON body of ``POST /api/signature/send`` (reads the document; sends nothing)."""
        checked_signers = validation.signer_list(signers)
        lang = validation.one_of(language, limits.SIGNATURE_LANGUAGES, "language")
        content, file_name = read_source(document, "document")
        validation.pdf_document(content)
        name = validation.required_text(document_name or file_name, "document_name")
        payload: dict[str, Any] = {
            "document": base64.b64encode(content).decode("ascii"),
            "document_name": name,
            "language": lang,
        }
        if len(checked_signers) == 1:
            signer = checked_signers[0]
            payload["signer_name"] = signer["name"]
            payload["signer_email"] = signer["email"]
            if "phone" in signer:
                payload["signer_phone"] = signer["phone"]
        else:
            payload["signers"] = checked_signers
        return payload

    def post_signature(self, payload: dict[str, Any]) -> SignatureRequest:
        """``POST /api/signature/send`` with a body from ``signature_payload`` (sent at most once)."""
        body = self._call("POST", "/api/signature/send", json=payload)
        return SignatureRequest.from_api(body.get("data") or {}, self._tz)

    def request_signature(
        self,
        document: Any,
        document_name: str | None,
        signers: list[dict[str, str]],
        *,
        language: str = "es",
    ) -> SignatureRequest:
        """``POST /api/signature/send``: ask 1..5 signers to sign a PDF (at most 10 MB)."""
        return self.post_signature(self.signature_payload(document, document_name, signers, language=language))

    def list_signatures(self, limit: int = 25) -> list[SignatureRequest]:
        """``GET /api/signatures``: the most recent signature requests (limit 1..25)."""
        body = self._call("GET", "/api/signatures", params={"limit": validation.list_limit(limit)})
        return [SignatureRequest.from_api(s, self._tz) for s in body.get("data") or [] if isinstance(s, dict)]

    def get_signature(self, uuid: str) -> SignatureRequest:
        """``GET /api/signature``: one request with its signers, hashes and download URLs."""
        body = self._call("GET", "/api/signature", params={"uuid": validation.identifier(uuid, "uuid")})
        return SignatureRequest.from_api(body.get("data") or {}, self._tz)

    # -- certified SMS -----------------------------------------------------------------------------
    @staticmethod
    def sms_payload(phone: str, message: str) -> dict[str, str]:
        """The validated JSON body of ``POST /api/sms/send`` (sends nothing)."""
        return {
            "phone": validation.phone_number(phone),
            "message": validation.required_text(message, "message", max_chars=limits.SMS_MAX_CHARS),
        }

    def post_sms(self, payload: dict[str, str]) -> SmsSendResult:
        """``POST /api/sms/send`` with a body from ``sms_payload`` (1 credit; sent at most once)."""
        return SmsSendResult.from_api(self._call("POST", "/api/sms/send", json=payload))

    def send_sms(self, phone: str, message: str) -> SmsSendResult:
        """``POST /api/sms/send``: one certified SMS of 1..300 characters (1 credit; sent at most once)."""
        return self.post_sms(self.sms_payload(phone, message))

    def get_sms(self, uuid: str) -> Sms:
        """``GET /api/sms``: one SMS's status and certificate URL."""
        body = self._call("GET", "/api/sms", params={"uuid": validation.identifier(uuid, "uuid")})
        return Sms.from_api(body.get("data") or {}, self._tz)

    # -- evidence ----------------------------------------------------------------------------------
    def download(self, url: str) -> bytes:
        """Bytes behind a certificate / original / acta URL from a response (token only to our host)."""
        return self.get_conn().download(validation.identifier(url, "url"))

    def download_to(self, url: str, write: Callable[[bytes], object]) -> int:
        """Stream a certificate / original / acta into ``write`` chunk by chunk (memory flat in its size)."""
        return self.get_conn().download_to(validation.identifier(url, "url"), write)

    def test_connection(self) -> tuple[bool, str]:
        """Read-only check: ``GET /api/info``."""

        def probe() -> str:
            user = self.get_account_info().user
            return f"Connected as {user.email} (plan {user.plan}, {user.remaining_emails} emails remaining)"

        return self._check(probe)
