"""The first DAG (README and getting-started page) runs as printed against the sandbox (only the PDF's path is
filled in): the README shows exactly what ``docs/snippets/first_dag.py`` holds between its markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import SNIPPETS, load_snippet, run, states, xcom
from tests.integration.conftest import Connect

pytestmark = pytest.mark.usefixtures("airflow_db")
README = Path(__file__).parents[2] / "README.md"


def first_dag() -> str:
    section = README.read_text().split("## A first DAG", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the README's first DAG is a python block under '## A first DAG'"
    return match.group(1)


def test_the_readme_shows_the_snippet_the_docs_include() -> None:
    snippet = (SNIPPETS / "first_dag.py").read_text()
    region = snippet.split("# [START first_dag]\n", 1)[1].split("# [END first_dag]", 1)[0]
    assert first_dag() == region


def test_the_readme_dag_sends_once_and_logs_what_went_out(
    sandbox: SandboxServer, connect: Connect, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(sandbox.sample_pdf())
    dag = load_snippet("first_dag", {"/path/to/contract.pdf": str(pdf)})
    dag_run = run(dag)
    assert states(dag_run) == {"request_signature": ("success", 1), "certified_notice": ("success", 1)}
    hook = LegallyMailHook()
    (signature,) = hook.list_signatures()
    (email,) = hook.list_emails()
    assert xcom(dag_run, "request_signature")["uuid"] == signature.uuid
    assert xcom(dag_run, "certified_notice")["parent_tracking_ids"] == [email.tracking_id]
    (posted,) = sandbox.received(api="legallymail", method="POST", path="/api/send")
    assert signature.uuid in str(posted)  # the notice's body was rendered from the signature's XCom
    captured = capfd.readouterr()
    log = captured.out + captured.err
    assert f"Signature request for 'contract.pdf' (first signer a***@example.com): uuid {signature.uuid}" in log
    assert f"to 2 recipient(s): tracking id {email.tracking_id}, status sent, 2 accepted" in log
