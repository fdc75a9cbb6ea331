"""Using the hooks never imports the sandbox (nor FastAPI or uvicorn)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import airflow_provider_legallymail.hooks.legallymail
import airflow_provider_legallymail.hooks.legitmailer
loaded = [m for m in sys.modules if m.startswith(("airflow_provider_legallymail.sandbox", "fastapi", "uvicorn"))]
print(loaded)
raise SystemExit(1 if loaded else 0)
"""


def test_hooks_do_not_import_the_sandbox() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
