"""Extra links shown on LegallyMail tasks: URLs the API returned, read from the task's XCom."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseOperatorLink

LINKS_XCOM_KEY = "legallymail_links"
LINKS_ATTRIBUTE = "legallymail_links"  # the same URLs, kept on the operator by the execute that pushed them


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
    name = "Signature acta"
    url_key = "acta"
