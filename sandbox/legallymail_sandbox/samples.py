"""What a user needs to call the sandbox without guessing: a sample PDF to sign or attach, the seeded
Legitmailer templates (with their tokens) and contact lists (with their columns), the outcome tags and the
timelines. Served by ``GET /_sandbox/samples`` and printed by ``legallymail-sandbox``."""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

from legallymail_sandbox.apis import CONTROL_PREFIX
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.legitmailer.catalog import CONTACT_LISTS, TEMPLATES
from legallymail_sandbox.pdf import render_pdf

SAMPLES_PATH = f"{CONTROL_PREFIX}/samples"
SAMPLE_PDF_NAME = "contract.pdf"
SAMPLE_PDF_PATH = f"{SAMPLES_PATH}/{SAMPLE_PDF_NAME}"

# (where the tag goes, tag, what happens): the address tags the sandbox reads, as in the table of docs/sandbox/index.md.
OUTCOME_TAGS = (
    ("email recipient", "+fail", "refused at send time: failed in the send answer, not charged"),
    ("email recipient", "+bounce", "hard bounce at delivery: bounced, error_status Hard Bounce"),
    ("email recipient", "+softbounce", "delivered with error_status Soft Bounce, never read unless marked read"),
    ("email recipient", "+noread", "delivered, never read unless marked read"),
    ("signer", "+decline", "declines when it would sign: the request is declined"),
    ("signer", "+nosign", "never signs: the request expires at expires_at"),
    ("SMS phone", "ending in 999", "failed when it would be delivered"),
    ("Legitmailer address", "+invalid", "400 when the send asks validate: true"),
    ("reply_to", "+unverified", "400: not a verified sender of the account"),
)


@functools.cache
def sample_pdf() -> bytes:
    """A small valid PDF to sign or attach (the same bytes every time)."""
    return render_pdf(
        "Sample contract",
        ["Between Sandbox Co and the signer.", "A sample document served by the LegallyMail sandbox to sign."],
    )


def templates() -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "templateId": t.template_id,
            "tokens": t.tokens,
            "subject": t.subject,
            "fromEmail": t.from_email,
        }
        for t in TEMPLATES
    ]


def contact_lists() -> list[dict[str, Any]]:
    return [
        {"name": c.name, "contactListId": c.contact_list_id, "description": c.description, "columns": list(c.columns)}
        for c in CONTACT_LISTS
    ]


def catalog(server_url: str, config: SandboxConfig) -> dict[str, Any]:
    """The ``GET /_sandbox/samples`` answer; ``server_url`` is the server's root, e.g. http://127.0.0.1:8765."""
    pdf = sample_pdf()
    return {
        "sample_pdf": {
            "url": server_url + SAMPLE_PDF_PATH,
            "document_name": SAMPLE_PDF_NAME,
            "size": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "base64": base64.b64encode(pdf).decode("ascii"),
        },
        "legitmailer": {"templates": templates(), "contact_lists": contact_lists()},
        "outcome_tags": [{"where": where, "tag": tag, "outcome": outcome} for where, tag, outcome in OUTCOME_TAGS],
        "timeline_seconds": {
            "delivered_after": config.delivered_after,
            "read_after": config.read_after,
            "sign_after": config.sign_after,
            "signature_ttl": config.signature_ttl,
            "sms_delivered_after": config.sms_delivered_after,
            "sms_confirmed_after": config.sms_confirmed_after,
        },
        "read_certificates": config.read_certificates,
    }


def seed_lines() -> list[str]:
    """The seeded templates and contact lists in a few lines of text (for the CLI's help and banner)."""
    lines = ["Legitmailer templates (tokens):"]
    lines += [f"  {t['name']} ({', '.join(t['tokens'])})" for t in templates()]
    lines.append("Legitmailer contact lists (id: columns):")
    lines += [f"  {c['name']} ({c['contactListId']}: {', '.join(c['columns'])})" for c in contact_lists()]
    return lines
