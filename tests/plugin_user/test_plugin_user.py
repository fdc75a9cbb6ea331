"""The pytest plugin in a user's own suite: run ``user_project/`` (only the plugin) in a separate pytest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.suite_runs import run_suite

USER_PROJECT = Path(__file__).with_name("user_project")
# The user's own connection before the tests: the fixture must put it back; the Legitmailer one is unset.
USERS_OWN = json.dumps({"conn_type": "legallymail", "host": "https://legallymail.com", "password": "real-token"})


def test_a_suite_using_only_the_plugin_reaches_the_sandbox_and_restores_its_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(USER_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    result = run_suite(project, AIRFLOW_CONN_LEGALLYMAIL_DEFAULT=USERS_OWN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout
