"""``State``: every object the sandbox holds (emails, signatures, SMS, Legitmailer mail and contacts, the
request log, credits), written through to the ``Store`` on each change and reloaded from it at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.records import (
    ContactRecord,
    EmailRecord,
    LtEmailRecord,
    SignatureRecord,
    SmsRecord,
)
from legallymail_sandbox.store import Store


class State:
    def __init__(self, config: SandboxConfig, store: Store, now: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self._now = now
        self._clear()

    def _clear(self) -> None:
        config = self.config
        self.emails: dict[str, EmailRecord] = {}
        self.recipient_index: dict[str, EmailRecord] = {}
        self.signatures: dict[str, SignatureRecord] = {}
        self.sms: dict[str, SmsRecord] = {}
        self.lt_emails: dict[str, LtEmailRecord] = {}
        self.delayed: dict[str, LtEmailRecord] = {}
        self.contacts: dict[tuple[str, str], ContactRecord] = {}
        self.requests: list[dict[str, Any]] = []
        self.credits = config.credits
        self.sms_credits = config.sms_credits
        self.next_email_id = 1
        self.saved_clock: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def reset(self) -> None:
        self._clear()
        self.store.clear()
        self.save_account()

    def load(self) -> None:
        """Reload everything the store holds (a no-op for an in-memory store)."""
        for _, data in self.store.load("email"):
            self._index_email(EmailRecord.from_dict(data))
        for key, data in self.store.load("signature"):
            self.signatures[key] = SignatureRecord.from_dict(data)
        for key, data in self.store.load("sms"):
            self.sms[key] = SmsRecord.from_dict(data)
        for _, data in self.store.load("lt_email"):
            self._index_lt(LtEmailRecord.from_dict(data))
        for _, data in self.store.load("contact"):
            contact = ContactRecord.from_dict(data)
            self.contacts[(contact.list_id, contact.customer_id)] = contact
        self.requests = [data for _, data in self.store.load("request")]
        for _, data in self.store.load("meta"):
            self.credits = int(data["credits"])
            self.sms_credits = int(data["sms_credits"])
            self.next_email_id = int(data["next_email_id"])
            self.saved_clock = float(data["clock"])

    # -- writes ------------------------------------------------------------------------------------
    def save_account(self) -> None:
        meta = {
            "credits": self.credits,
            "sms_credits": self.sms_credits,
            "next_email_id": self.next_email_id,
            "clock": self._now(),
        }
        self.store.put("meta", "account", meta)

    def add_email(self, email: EmailRecord) -> None:
        self._index_email(email)
        self.save_email(email)

    def save_email(self, email: EmailRecord) -> None:
        self.store.put("email", email.tracking_id, email.to_dict())
        self.save_account()

    def save_signature(self, signature: SignatureRecord) -> None:
        self.signatures[signature.uuid] = signature
        self.store.put("signature", signature.uuid, signature.to_dict())
        self.save_account()

    def save_sms(self, sms: SmsRecord) -> None:
        self.sms[sms.uuid] = sms
        self.store.put("sms", sms.uuid, sms.to_dict())
        self.save_account()

    def save_lt_email(self, email: LtEmailRecord) -> None:
        self._index_lt(email)
        self.store.put("lt_email", email.tracking_id, email.to_dict())
        self.save_account()

    def save_contact(self, contact: ContactRecord) -> None:
        self.contacts[(contact.list_id, contact.customer_id)] = contact
        self.store.put("contact", f"{contact.list_id}/{contact.customer_id}", contact.to_dict())

    def delete_contact(self, list_id: str, customer_id: str) -> None:
        self.contacts.pop((list_id, customer_id), None)
        self.store.delete("contact", f"{list_id}/{customer_id}")

    def log_request(self, entry: dict[str, Any]) -> None:
        """Append a request entry (its ``status`` is filled in once answered; ``save_request`` then)."""
        entry["seq"] = len(self.requests) + 1
        self.requests.append(entry)

    def save_request(self, entry: dict[str, Any]) -> None:
        self.store.put("request", f"{entry['seq']:09d}", entry)

    # -- indexes -----------------------------------------------------------------------------------
    def _index_email(self, email: EmailRecord) -> None:
        self.emails[email.tracking_id] = email
        for recipient in email.recipients:
            self.recipient_index[recipient.tracking_id] = email
        self.next_email_id = max(self.next_email_id, email.id + 1)

    def _index_lt(self, email: LtEmailRecord) -> None:
        self.lt_emails[email.tracking_id] = email
        if email.request_id:
            self.delayed[email.request_id] = email
