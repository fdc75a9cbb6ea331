"""The connection forms users write reach the sandbox: through the hooks and through Airflow's CLI.

``airflow connections test`` reads ``AIRFLOW_CONN_<ID>`` and needs no metadata database. The CLI runs
start together (one subprocess per form) so the module costs one CLI start-up, not four.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def forms(server: SandboxServer, closed: int) -> dict[str, str]:
    """Connection id -> AIRFLOW_CONN_<ID> value."""
    lt_key, lm_token = quote(server.legitmailer_token, safe=""), quote(server.legallymail_token, safe="")
    encoded_host = quote(server.legallymail_url, safe="")
    return {
        "natural_uri": f"legitmailer://:{lt_key}@127.0.0.1:{server.port}/legitmailer?requests_per_minute=0",
        "encoded_host": f"legallymail://:{lm_token}@{encoded_host}?requests_per_minute=0",
        "json_form": json.dumps(
            {
                "conn_type": "legallymail",
                "host": server.legallymail_url,
                "password": server.legallymail_token,
                "extra": {"requests_per_minute": 0},
            }
        ),
        "closed_port": f"legitmailer://:{lt_key}@127.0.0.1:{closed}/legitmailer?max_retries=0",
    }


@pytest.fixture(scope="module")
def cli_runs(
    legallymail_sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """``airflow connections test <id>`` for every form, run side by side on a throwaway AIRFLOW_HOME."""
    home = tmp_path_factory.mktemp("airflow-home")
    conns = forms(legallymail_sandbox_server, closed_port())
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__TEST_CONNECTION": "Enabled", "COLUMNS": "400"}
    env.update({f"AIRFLOW_CONN_{conn_id.upper()}": value for conn_id, value in conns.items()})
    airflow = Path(sys.executable).with_name("airflow")
    running = {
        conn_id: subprocess.Popen(
            [airflow, "connections", "test", conn_id],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for conn_id in conns
    }
    results = {}
    for conn_id, process in running.items():
        out, _ = process.communicate(timeout=120)
        results[conn_id] = subprocess.CompletedProcess(process.args, process.returncode, out)
    return results


@pytest.mark.parametrize("conn_id", ["natural_uri", "encoded_host", "json_form"])
def test_airflow_connections_test_succeeds_for_every_form(
    cli_runs: dict[str, subprocess.CompletedProcess[str]], conn_id: str
) -> None:
    run = cli_runs[conn_id]
    assert run.returncode == 0, run.stdout
    assert "Connection success!" in run.stdout


def test_airflow_connections_test_names_the_url_it_tried(
    cli_runs: dict[str, subprocess.CompletedProcess[str]], legallymail_sandbox_server: SandboxServer
) -> None:
    run = cli_runs["closed_port"]
    assert "Connection failed!" in run.stdout  # Airflow 3.1.0 exits 0 even then: read the text, not the code
    assert "connection 'closed_port'" in run.stdout
    assert "http://127.0.0.1:" in run.stdout and "/legitmailer/api/template/list" in run.stdout
    assert "refused" in run.stdout
    assert legallymail_sandbox_server.legitmailer_token not in run.stdout


def test_hooks_reach_the_sandbox_through_the_natural_uri(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    for conn_id, value in forms(sandbox, closed_port()).items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)
    templates = LegitmailerHook("natural_uri").list_templates()
    assert templates and LegitmailerHook("natural_uri").test_connection()[0]
    assert LegallyMailHook("encoded_host").get_account_info().user.remaining_emails == 100
    assert LegallyMailHook("json_form").test_connection()[0]
    assert [r["path"] for r in sandbox.received(api="legitmailer")] == ["/api/template/list"] * 2
