"""Run a user's own pytest suite in a fresh interpreter, as they would: no pytest or connection variables of ours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_suite(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``pytest -q`` over ``folder`` (its own rootdir) with this environment less ``PYTEST_*`` and
    ``AIRFLOW_CONN_*``, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AIRFLOW_CONN_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)],
        cwd=folder,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
