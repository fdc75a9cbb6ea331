"""A short tour through both hooks against a local sandbox, printed as a readable summary.

Run with ``python -m demo.tour``: it starts the sandbox on a free port of 127.0.0.1, points the two
default connections at it, drives the sandbox clock forward instead of waiting, and stops it at the end.
The sandbox keeps LegallyMail's real limit (10 API requests per minute per IP), and so do the hooks'
client-side budget; the tour stays under it (certificate downloads are not API requests).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer

Say = Callable[[str], None]
DEMO_CONFIG = SandboxConfig(speed=0.0)


def _verified(hook: LegallyMailHook, url: str | None, expected_hash: str | None) -> str:
    data = hook.download(url or "")
    actual = hashlib.sha256(data).hexdigest()
    if expected_hash is not None and actual != expected_hash:
        raise RuntimeError(f"hash mismatch for {url}")
    return f"{len(data)} bytes, sha256 {actual[:12]}... " + ("verified" if expected_hash else "(no hash published)")


def certified_email(server: SandboxServer, hook: LegallyMailHook, say: Say) -> None:
    result = hook.send_email(["ana@example.com", "bob@example.com"], "Contract renewal", "<p>Please read.</p>")
    say(f"certified email {result.tracking_id}: {result.success_count} of {len(result.recipients)} sent")
    server.advance(30)
    email = hook.get_email(result.tracking_id)
    say(f"  after 30 s: {email.status.value}; " + ", ".join(f"{r.email} {r.status.value}" for r in email.recipients))
    for certificate in email.all_certificates():
        proof = _verified(hook, certificate.pdf_download_url, certificate.file_hash)
        say(f"  certificate {certificate.certificate_type}: {proof}")


def signature(server: SandboxServer, hook: LegallyMailHook, say: Say) -> None:
    document = render_pdf("Service agreement", ["Between Sandbox Co and Ana"])
    request = hook.request_signature(document, "agreement.pdf", [{"name": "Ana", "email": "ana@example.com"}])
    say(f"signature request {request.uuid}: {request.status.value}")
    server.advance(60)
    signed = hook.get_signature(request.uuid)
    say(f"  after 60 s: {signed.status.value} at {signed.signed_at}")
    say(f"  original: {_verified(hook, signed.download_original_url, signed.document_hash)}")
    say(f"  acta: {_verified(hook, signed.download_acta_url, signed.signed_document_hash)}")


def sms(server: SandboxServer, hook: LegallyMailHook, say: Say) -> None:
    sent = hook.send_sms("+34600000000", "Your signed agreement is ready.")
    server.advance(10)
    status = hook.get_sms(sent.uuid)
    say(f"certified SMS {sent.uuid}: {status.status.value}, time-stamped at {status.ts_confirmed_at}")
    say(f"  certificate: {_verified(hook, status.download_certificate_url, None)}")


def legitmailer(server: SandboxServer, hook: LegitmailerHook, say: Say) -> None:
    recipients = [{"email": "ana@example.com", "token_map": {"username": "ana"}}]
    recipients.append({"email": "bob@example.com", "token_map": {"username": "bob"}})
    batch = hook.send_template_batch("registration", recipients)
    say(f"Legitmailer batch 'registration': {len(batch.tracking_ids)} emails")
    for sent in server.legitmailer_sent():
        say(f"  to {sent['to_address']}: {sent['subject']!r}")
    newsletter = next(c for c in hook.list_contact_lists() if c.name == "newsletter").contact_list_id
    hook.add_contact(newsletter, "cust-1", "ana@example.com", {"first_name": "Ana", "city": "Madrid"})
    hook.update_contact(newsletter, "cust-1", "ana@example.com", {"city": "Sevilla"})
    contact = hook.get_contact(newsletter, "cust-1")
    hook.delete_contact(newsletter, "cust-1")
    say(f"contact round-trip in 'newsletter': added, updated to {contact.data}, deleted")


def run_tour(server: SandboxServer, say: Say = print) -> None:
    """The tour itself, against a running sandbox whose connections are already in the environment."""
    lm, lt = LegallyMailHook(), LegitmailerHook()
    user = lm.get_account_info().user
    say(f"account {user.email}: plan {user.plan}, {user.remaining_emails} emails remaining")
    certified_email(server, lm, say)
    signature(server, lm, say)
    sms(server, lm, say)
    legitmailer(server, lt, say)
    say(f"account now: {lm.get_account_info().user.remaining_emails} emails remaining")
    calls = [r for r in server.received(api="legallymail") if r["path"].startswith("/api/")]
    refused = sum(1 for r in calls if r["status"] == 429)
    say(f"LegallyMail API requests: {len(calls)} (limit 10 per minute per IP), {refused} refused with 429")


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main() -> int:
    with SandboxServer(DEMO_CONFIG) as server:
        print(f"sandbox running at {server.url}")
        with environment(server.connection_env()):
            run_tour(server)
    print("sandbox stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
