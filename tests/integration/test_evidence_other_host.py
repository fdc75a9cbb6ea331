"""Evidence across hosts: archived by a worker under CeleryExecutor, verified by another "host".

Each host is its own process with its own ``AIRFLOW_HOME`` and ``TMPDIR``; what they share is only the
evidence location (``[legallymail] evidence_path``, here a folder standing for an NFS mount declared with
``evidence_path_shared``). The worker talks to the sandbox over HTTP; the other host reads the archive
through ``evidence_path`` alone, as an auditor or a downstream task elsewhere would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states
from tests.integration.test_evidence_dags import IMPORT

pytestmark = pytest.mark.usefixtures("connect")

WORKER = """
import json, sys
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator

class TI:
    def xcom_push(self, key, value):
        pass

op = ArchiveEvidenceOperator(task_id="archive", evidence=sys.argv[1].split(","), kind="signature")
try:
    result = op.execute({"ti": TI(), "ds": "2024-01-15"})
except AirflowFailException as exc:
    print(exc)
    sys.exit(3)
print(json.dumps(result))
"""


def host(tmp_path: Path, name: str, argv: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as another host would: its own AIRFLOW_HOME and TMPDIR, the deployment's settings."""
    home = tmp_path / name / "airflow"
    tmp = tmp_path / name / "tmp"
    home.mkdir(parents=True)
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__LEGALLYMAIL__EVIDENCE")}
    env.update(AIRFLOW_HOME=str(home), TMPDIR=str(tmp), AIRFLOW__CORE__EXECUTOR="CeleryExecutor", **settings)
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)


def signed(sandbox: SandboxServer, count: int) -> list[str]:
    hook = LegallyMailHook()
    doc = render_pdf("Contract", ["ACME and Ana"])
    uuids = [
        hook.request_signature(doc, f"Contract {i}.pdf", [{"name": "Ana", "email": "ana@example.com"}]).uuid
        for i in range(count)
    ]
    sandbox.advance(70)
    return uuids


def test_a_worker_archives_through_evidence_path_and_another_host_verifies_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    uuids = signed(sandbox, 2)
    shared = tmp_path / "nfs" / "evidence"
    settings: dict[str, Any] = {
        "AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH": f"file://{shared}",
        "AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED": "True",
    }
    wrote = host(tmp_path, "worker-1", [sys.executable, "-c", WORKER, ",".join(uuids)], **settings)
    assert wrote.returncode == 0, wrote.stdout + wrote.stderr
    assert not (tmp_path / "worker-1" / "airflow" / "legallymail" / "evidence").exists()
    assert sorted(p.name for p in (shared / "signature").iterdir()) == sorted(uuids)

    cli = str(Path(sys.executable).with_name("legallymail-verify-archive"))
    checked = host(tmp_path, "auditor", [cli], **settings)  # no PATH: [legallymail] evidence_path
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK: 2 archive(s), 4 file(s) checked, 0 problem(s)" in checked.stdout


def test_a_worker_refuses_its_own_disk_before_any_request(sandbox: SandboxServer, tmp_path: Path) -> None:
    uuids = signed(sandbox, 1)
    before = len(sandbox.received(api="legallymail"))
    refused = host(tmp_path, "worker-2", [sys.executable, "-c", WORKER, uuids[0]])  # default: its AIRFLOW_HOME
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "[legallymail] evidence_path" in refused.stdout and "[legallymail] evidence_path_shared" in refused.stdout
    assert len(sandbox.received(api="legallymail")) == before
    assert not (tmp_path / "worker-2" / "airflow" / "legallymail").exists()


@pytest.mark.usefixtures("airflow_db")
def test_dag_test_runs_on_one_host_so_a_local_default_is_fine_whatever_the_executor(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uuid = signed(sandbox, 1)[0]
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH", str(tmp_path / "local"))
    dag = load_dag(
        "evidence_dag_test",
        IMPORT
        + f"""
        with DAG("evidence_dag_test", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            ArchiveEvidenceOperator(task_id="archive", evidence="{uuid}", kind="signature")
        """,
    )
    assert states(run(dag))["archive"] == ("success", 1)
    assert (tmp_path / "local" / "signature" / uuid / "acta.pdf").exists()
