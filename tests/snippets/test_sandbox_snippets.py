"""The sandbox page's Python examples: SandboxServer in a program, and the pytest plugin in a suite of one's own."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.dag_runs import SNIPPETS, load_snippet
from tests.suite_runs import run_suite


def test_a_program_runs_the_sandbox_on_a_free_port_and_calls_a_task_with_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", "AIRFLOW_CONN_LEGITMAILER_DEFAULT"):
        monkeypatch.setenv(name, "")  # restored after the test: the snippet sets both
    dag = load_snippet("sandbox_server")
    assert list(dag.task_dict) == ["notice_status"]
    sys.modules["snippet_sandbox_server"].main()  # asserts the email is read after advance(30), posted once
    assert capsys.readouterr().out == "Notice\n"


def test_a_suite_of_ones_own_uses_the_plugin_as_the_page_shows(tmp_path: Path) -> None:
    assert list(load_snippet("sandbox_pytest_plugin").task_dict) == ["readers"]
    shutil.copy(SNIPPETS / "sandbox_pytest_plugin.py", tmp_path / "test_contracts.py")
    result = run_suite(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout
