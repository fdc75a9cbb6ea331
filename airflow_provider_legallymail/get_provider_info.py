"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point.

The connection form (``conn-fields``, ``ui-field-behaviour``) is declared here once; the hooks'
``get_ui_field_behaviour`` reads it back for Airflow versions that still ask the hook.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail import __version__

_COMMON_FIELDS: dict[str, dict[str, Any]] = {
    "timeout": {
        "label": "Request timeout (seconds)",
        "description": "Seconds to wait for the API to answer one request (connect is capped at 10).",
        "schema": {"type": ["number", "null"], "minimum": 0.001, "default": 30},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries of one request on 502/503/504 and connection failures (sends are never "
        "repeated when their outcome is unknown); 429s are waited out apart from these. 0: no retries at all.",
        "schema": {"type": ["integer", "null"], "minimum": 0, "default": 3},
    },
    "requests_per_minute": {
        "label": "Request budget per minute",
        "description": "Client-side limit shared by every process on the host, adapted to the 429s it "
        "sees when several hosts share one address; 0 disables it.",
        "schema": {"type": ["integer", "null"], "minimum": 0},
    },
    "rate_window": {
        "label": "Request budget window (seconds)",
        "description": "Seconds the request budget is counted over (default 60); only for a sandbox started "
        "with --rate-window.",
        "schema": {"type": ["number", "null"], "minimum": 0.001, "default": 60},
    },
    "timezone": {
        "label": "Time zone of the API's dates",
        "description": "IANA name used to read dates that carry no offset, e.g. Europe/Madrid.",
        "schema": {"type": ["string", "null"]},
    },
}


def _fields(overrides: dict[str, Any], extra: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    fields = {name: {**spec, "schema": dict(spec["schema"])} for name, spec in _COMMON_FIELDS.items()}
    for name, default in overrides.items():
        fields[name]["schema"]["default"] = default
    return {**fields, **extra}


LEGALLYMAIL_CONNECTION: dict[str, Any] = {
    "hook-class-name": "airflow_provider_legallymail.hooks.legallymail.LegallyMailHook",
    "hook-name": "LegallyMail",
    "connection-type": "legallymail",
    "ui-field-behaviour": {
        "hidden-fields": ["login", "schema", "port"],
        "relabeling": {"host": "API base URL", "password": "API token"},
        "placeholders": {"host": "https://legallymail.com", "password": "token from the LegallyMail dashboard"},
    },
    "conn-fields": _fields(
        {"requests_per_minute": 10, "timezone": "Europe/Madrid"},
        {
            # No masker word (token, password, secret...) in a field's name: the form would show it as ***.
            "credentials_in_body": {
                "label": "Send the token in the JSON body",
                "description": 'Send the token as a "token" body field instead of the Authorization header.',
                "schema": {"type": ["boolean", "null"], "default": False},
            },
            "max_recipients": {
                "label": "Max recipients per email",
                "description": "10 by default; raise it only if LegallyMail support raised your account's limit.",
                "schema": {"type": ["integer", "null"], "minimum": 1, "default": 10},
            },
            "settle_seconds": {
                "label": "Settle time of a lost send (s)",
                "description": "How long after a send's read timeout the API may still commit it (default 30): "
                "a look-up proves a lost send absent only after timeout + settle_seconds.",
                "schema": {"type": ["number", "null"], "minimum": 0, "default": 30},
            },
        },
    ),
}

LEGITMAILER_CONNECTION: dict[str, Any] = {
    "hook-class-name": "airflow_provider_legallymail.hooks.legitmailer.LegitmailerHook",
    "hook-name": "Legitmailer",
    "connection-type": "legitmailer",
    "ui-field-behaviour": {
        "hidden-fields": ["login", "schema", "port"],
        "relabeling": {"host": "API base URL", "password": "API token"},
        "placeholders": {"host": "https://app.legitmailer.com", "password": "API key from Legitmailer"},
    },
    "conn-fields": _fields({"requests_per_minute": 0, "timezone": "UTC"}, {}),
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-legallymail",
        "name": "LegallyMail and Legitmailer",
        "description": "Certified email, e-signature and certified SMS (LegallyMail); transactional mail, "
        "templates and contact lists (Legitmailer).",
        "versions": [__version__],
        "integrations": [
            {"integration-name": "LegallyMail", "external-doc-url": "https://legallymail.com", "tags": ["service"]},
            {
                "integration-name": "Legitmailer",
                "external-doc-url": "https://app.legitmailer.com",
                "tags": ["service"],
            },
        ],
        "hooks": [
            {
                "integration-name": "LegallyMail",
                "python-modules": ["airflow_provider_legallymail.hooks.legallymail"],
            },
            {
                "integration-name": "Legitmailer",
                "python-modules": ["airflow_provider_legallymail.hooks.legitmailer"],
            },
        ],
        "operators": [
            {
                "integration-name": "LegallyMail",
                "python-modules": [
                    "airflow_provider_legallymail.operators.legallymail",
                    "airflow_provider_legallymail.operators.evidence",
                    "airflow_provider_legallymail.operators.mail_merge",
                ],
            },
            {
                "integration-name": "Legitmailer",
                "python-modules": ["airflow_provider_legallymail.operators.legitmailer"],
            },
        ],
        "sensors": [
            {
                "integration-name": "LegallyMail",
                "python-modules": ["airflow_provider_legallymail.sensors.legallymail"],
            },
        ],
        "triggers": [
            {
                "integration-name": "LegallyMail",
                "python-modules": ["airflow_provider_legallymail.triggers.legallymail"],
            },
        ],
        "connection-types": [LEGALLYMAIL_CONNECTION, LEGITMAILER_CONNECTION],
        "notifications": [
            "airflow_provider_legallymail.notifications.legallymail.LegallyMailNotifier",
            "airflow_provider_legallymail.notifications.legallymail.LegallyMailSmsNotifier",
        ],
        "extra-links": [
            "airflow_provider_legallymail.links.LegallyMailDashboardLink",
            "airflow_provider_legallymail.links.SignatureDocumentLink",
            "airflow_provider_legallymail.links.SignedDocumentLink",
            "airflow_provider_legallymail.links.EvidenceLink",
        ],
        "config": {
            "legallymail": {
                "description": "Settings of the LegallyMail / Legitmailer provider.",
                "options": {
                    "ledger_path": {
                        "description": "Where operators record send attempts so that a retry never sends twice, "
                        "and notifiers record the events they notified. Use storage shared by every worker "
                        "(an ObjectStoragePath URL). Default: file://$AIRFLOW_HOME/legallymail/ledger.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "s3://my-bucket/airflow/legallymail-ledger",
                        "default": None,
                    },
                    "evidence_path": {
                        "description": "Where ArchiveEvidenceOperator keeps the evidence (certificates, signed "
                        "documents, actas, manifest.json) when its destination argument is not given: where the "
                        "evidence lives for years, any ObjectStoragePath URL. Under a distributed executor "
                        "(Celery, Kubernetes, Edge, ...) a local path is refused before any download, since "
                        "other hosts could not read it, unless evidence_path_shared is True. "
                        "Default: file://$AIRFLOW_HOME/legallymail/evidence.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "s3://legal-archive/evidence",
                        "default": None,
                    },
                    "evidence_path_shared": {
                        "description": "Declare that local evidence paths (evidence_path or a local destination "
                        "argument) are the same shared mount (NFS, EFS) on every host, so that archiving to them "
                        "is allowed under a distributed executor. Leave False unless every worker and every "
                        "reader of the evidence sees the same files there.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "True",
                        "default": "False",
                    },
                    "share_budget_between_hosts": {
                        "description": "Under a distributed executor, hosts that ask for LegallyMail request slots "
                        "announce themselves in the Airflow Variable legallymail_budget_hosts_<digest of the API "
                        "URL>, so that hosts behind one public address start from an equal share of its limit "
                        "instead of learning it from 429s. Set False when every host has a public address of its "
                        "own.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    },
                },
            },
        },
    }
