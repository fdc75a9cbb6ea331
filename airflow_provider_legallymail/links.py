"""Extra links shown on LegallyMail tasks: URLs the API returned, read from the task's XCom."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from airflow.sdk import BaseOperatorLink

LINKS_XCOM_KEY = "legallymail_links"
LINKS_ATTRIBUTE = "legallymail_links"  # the same URLs, kept on the operator by the execute that pushed them
EVIDENCE_LINKS_XCOM_KEY = "legallymail_evidence_links"
EVIDENCE_LINKS_ATTRIBUTE = "legallymail_evidence_links"  # the same list, kept on the task that pushed it
MAX_EVIDENCE_LINKS = 20


class _ApiUrlLink(BaseOperatorLink):
    """A link whose URL the operator pushed to XCom ``legallymail_links`` under ``url_key``."""

    url_key: ClassVar[str]

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        known = getattr(operator, LINKS_ATTRIBUTE, None)
        if isinstance(known, dict):  # Airflow asks the task that just ran, in its own process: no XCom read,
            return str(known.get(self.url_key) or "")  # so a task that failed before pushing logs no error
        from airflow.sdk.execution_time.xcom import XCom

        links = XCom.get_value(ti_key=ti_key, key=LINKS_XCOM_KEY) or {}
        return str(links.get(self.url_key) or "") if isinstance(links, dict) else ""


class LegallyMailDashboardLink(_ApiUrlLink):
    name = "LegallyMail dashboard"
    url_key = "dashboard"


class SignatureDocumentLink(_ApiUrlLink):
    name = "Document sent for signature"
    url_key = "original_document"


class SignedDocumentLink(_ApiUrlLink):
    name = "Audit trail (acta)"
    url_key = "acta"


@attrs.define
class EvidenceLink(BaseOperatorLink):
    """The ``index``-th certificate / original / acta a task saw, at the URL the API gave for it.

    A task pushes ``[{"label": "ana@example.com: read certificate (cm_1)", "url": ...}, ...]`` to XCom
    ``legallymail_evidence_links`` (URLs without any token, only those ``evidence.links.link_url`` allows,
    sorted naturally by label), and keeps it in its attribute of that name
    (``EVIDENCE_LINKS_ATTRIBUTE``, ``[]`` until then); link ``Evidence N`` opens the N-th. Use
    ``operator_extra_links = evidence_links()`` on any operator or sensor that does so.
    """

    index: int = 0

    @property
    def name(self) -> str:
        return f"Evidence {self.index + 1}"

    @property
    def xcom_key(self) -> str:
        return f"_link_EvidenceLink_{self.index}"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        entries = getattr(operator, EVIDENCE_LINKS_ATTRIBUTE, None)
        if not isinstance(entries, list):  # Airflow asks the task that just ran, in its process: no XCom read,
            from airflow.sdk.execution_time.xcom import XCom  # so a sensor that deferred logs no error

            entries = XCom.get_value(ti_key=ti_key, key=EVIDENCE_LINKS_XCOM_KEY) or []
        if not isinstance(entries, list) or self.index >= len(entries) or not isinstance(entries[self.index], dict):
            return ""
        return str(entries[self.index].get("url") or "")


def evidence_links(count: int = MAX_EVIDENCE_LINKS) -> tuple[EvidenceLink, ...]:
    """``Evidence 1`` .. ``Evidence <count>``: links that are empty stay hidden in the UI."""
    return tuple(EvidenceLink(index) for index in range(count))
