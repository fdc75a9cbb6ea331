"""DAG files import hooks on every parse: no requests, no sandbox, no file reading at import time."""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = """
import json, sys
import airflow.sdk
before = set(sys.modules)
import airflow_provider_legallymail.hooks.legallymail
import airflow_provider_legallymail.hooks.legitmailer
import airflow_provider_legallymail.operators.legallymail
import airflow_provider_legallymail.notifications.legallymail
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_importing_hooks_operators_and_notifiers_loads_neither_requests_nor_the_sandbox() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert "airflow_provider_legallymail.hooks.legallymail" in loaded
    for heavy in ("requests", "urllib3", "fastapi", "uvicorn", "legallymail_sandbox"):
        assert heavy not in loaded
