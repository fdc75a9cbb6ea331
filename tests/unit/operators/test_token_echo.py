"""A server that echoes the token in successful answers: nothing the provider stores or shows holds it.

The send answer echoes it raw in its message, %-encoded in the subject, in a recipient's ``error_details``
and in a URL; the status answer behind the evidence archive echoes it in certificate URLs and texts. The
operators' return values, every XCom, the send ledger, the manifest and the logs are searched for it.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests_mock as rm

from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from tests import api_examples as ex
from tests.conftest import LM_URL, TOKEN
from tests.dag_runs import load_dag, run, states, xcom
from tests.unit.evidence.fakes import pdf, sha

pytestmark = pytest.mark.usefixtures("airflow_db", "lm_conn")
PERCENT = "".join(f"%{byte:02X}" for byte in TOKEN.encode())  # every character %-encoded
FORMS = (TOKEN, PERCENT, quote_plus(TOKEN), json.dumps(TOKEN)[1:-1])


def holds_token(text: str) -> bool:
    return any(form in text for form in FORMS)


def echoing_send(request: Any, context: Any) -> dict[str, Any]:
    address = request.json()["recipient"]
    return {
        "success": True,
        "message": f"Email sent with token {TOKEN}",
        "data": {
            "tracking_id": "cm_parent_1",
            "recipients": [
                {"email": address, "status": "sent", "tracking_id": "cm_one", "error_details": f"token={TOKEN}"}
            ],
            "subject": f"Contract {PERCENT}",
            "sent_at": "2024-01-15 10:30:00",
            "success_count": 1,
            "fail_count": 0,
            "error_status": None,
            "dashboard_url": f"{LM_URL}/dashboard?token={PERCENT}",
        },
    }


def all_xcoms(dag_run: Any) -> str:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id)
        ).all()
        return json.dumps({row.key: XComModel.deserialize_value(row) for row in rows}, default=str)


def files_text(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_a_send_answer_echoing_the_token_leaves_it_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dag = load_dag(
        "echo_send",
        """
        with DAG("echo_send", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SendCertifiedEmailOperator(task_id="send", recipients="ana@example.com", subject="s", html="h")
        """,
    )
    caplog.set_level(logging.DEBUG)
    with rm.Mocker() as m:
        m.post(f"{LM_URL}/api/send", json=echoing_send)
        dag_run = run(dag)
    assert states(dag_run)["send"] == ("success", 1)
    summary = xcom(dag_run, "send")
    assert summary["tracking_ids"] == {"ana@example.com": "cm_one"}  # the answer is still read
    assert xcom(dag_run, "send", "legallymail_sends")[0]["tracking_id"] == "cm_parent_1"
    assert not holds_token(all_xcoms(dag_run))  # return_value, legallymail_sends, links
    ledger = files_text(tmp_path / "ledger")
    assert "cm_parent_1" in ledger and not holds_token(ledger)
    assert not holds_token(caplog.text)


def test_a_status_answer_echoing_the_token_stays_out_of_the_archive(tmp_path: Path) -> None:
    body = copy.deepcopy(ex.LM_EMAIL)
    body["email"]["subject"] = f"Group Email {TOKEN}"
    files: dict[str, bytes] = {}
    for recipient in body["email"]["recipients"]:
        recipient["error_details"] = f"echo {PERCENT}"
        for cert in recipient["certificates"]:
            url = cert["pdf_download_url"]
            files[url] = pdf(url)
            cert["file_hash"] = sha(files[url])
            cert["pdf_download_url"] = f"{url}&token={quote_plus(TOKEN)}&again={PERCENT}"

    class TI:
        xcoms: dict[str, Any] = {}

        def xcom_push(self, key: str, value: Any) -> None:
            self.xcoms[key] = value

    ti = TI()
    with rm.Mocker() as m:
        m.get(f"{LM_URL}/api/email?tracking_id=cm_abc123", json=body)
        for url, data in files.items():
            m.get(url, content=data)  # the query given here must be present; more may follow
        op = ArchiveEvidenceOperator(task_id="archive", evidence="cm_abc123", kind="email", destination=tmp_path / "a")
        context: Any = {"ti": ti, "ds": "2024-01-15"}
        result = op.execute(context)
    assert result["downloaded"] == 2
    manifest = (tmp_path / "a" / "email" / "cm_abc123" / "manifest.json").read_text()
    assert "***" in manifest and not holds_token(manifest)
    assert ti.xcoms[EVIDENCE_LINKS_XCOM_KEY] and not holds_token(json.dumps(ti.xcoms, default=str))
    assert not holds_token(json.dumps(result, default=str))
