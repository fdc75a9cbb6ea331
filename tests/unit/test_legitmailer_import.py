"""DAG files import the Legitmailer operators on every parse: that must not load requests or the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys

_CHILD = """
import json, sys
import airflow.sdk
from airflow.sdk import BaseOperator
before = set(sys.modules)
import airflow_provider_legallymail.operators.legitmailer
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_importing_the_operators_loads_neither_requests_nor_sqlite_nor_the_sandbox() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert "airflow_provider_legallymail.operators.legitmailer" in loaded
    heavy = ("requests", "urllib3", "sqlite3", "fastapi", "uvicorn", "airflow_provider_legallymail.sandbox")
    assert [name for name in heavy if name in loaded] == []
    assert "airflow_provider_legallymail.template_batches" not in loaded
