"""The evidence a finished wait links to: every certificate, original and acta it saw, never a credential."""

from __future__ import annotations

from airflow_provider_legallymail.waiting.decision import evidence_link_entries


def test_links_name_each_certificate_and_document_and_drop_credentials() -> None:
    outcome = {
        "kind": "signature",
        "signers": [{"who": "ana@example.com", "id": "s-1", "certificates": []}],
        "documents": {
            "s-1": {"original": "https://legallymail.com/d/1?token=abc123", "acta": "https://legallymail.com/a/1"}
        },
    }
    links = evidence_link_entries(outcome, "https://legallymail.com:443")
    assert links == [
        {"label": "Audit trail (acta) (s-1)", "url": "https://legallymail.com/a/1"},
        {"label": "Document sent for signature (s-1)", "url": "https://legallymail.com/d/1"},
    ]
    email = {
        "kind": "email",
        "recipients": [
            {
                "who": "bob@example.com",
                "id": "cm_1",
                "certificates": [
                    {"type": "delivered", "url": "https://legallymail.com/c?id=1&status=delivered"},
                    {"type": "read", "url": "https://legallymail.com/c?id=1&status=read"},
                ],
            }
        ],
    }
    assert [link["label"] for link in evidence_link_entries(email, "https://legallymail.com:443", limit=1)] == [
        "bob@example.com: delivered certificate (cm_1)"
    ]
