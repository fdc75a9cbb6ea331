"""Test-wide setup: a throwaway AIRFLOW_HOME, an isolated request-budget dir, connections from env vars."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], True)  # one per run, not left behind in the temp dir
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(os.environ["AIRFLOW_HOME"], "dags")
os.makedirs(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"  # one host, whatever the developer's own config says

TOKEN = "tok-SECRET-1234567890"
LM_URL = "https://legallymail.com"
LT_URL = "https://app.legitmailer.com"


def conn_json(conn_type: str, host: str, token: str = TOKEN, **extra: Any) -> str:
    return json.dumps({"conn_type": conn_type, "host": host, "password": token, "extra": extra})


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGALLYMAIL_PROVIDER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__LEDGER_PATH", f"file://{tmp_path / 'ledger'}")


@pytest.fixture(autouse=True)
def _dags_folder_of_the_test() -> Iterator[None]:
    """The DAG files a test writes into the dags folder leave with it: ``dag.test()`` parses the whole folder
    at every run, which would otherwise grow with every DAG the session wrote."""
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    before = set(folder.iterdir())
    yield
    for path in set(folder.iterdir()) - before:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated SQLite metadata DB for tests that run DAGs through Airflow (dag.test())."""
    import subprocess
    import sys

    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries, and the wait for a lost send to settle, do not really wait; the waits are recorded here."""
    from airflow_provider_legallymail.client import transport
    from airflow_provider_legallymail.delivery import deliverer

    waits: list[float] = []
    monkeypatch.setattr(transport, "pause", waits.append)
    monkeypatch.setattr(deliverer, "pause", waits.append)
    return waits


@pytest.fixture
def lm_conn(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> str:
    """legallymail_default pointing at the real host name (only reachable through requests-mock)."""
    monkeypatch.setenv("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", LM_URL, requests_per_minute=0))
    return "legallymail_default"


@pytest.fixture
def lt_conn(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_LEGITMAILER_DEFAULT", conn_json("legitmailer", LT_URL))
    return "legitmailer_default"


# -- the sandbox, shared by tests/sandbox and tests/integration ------------------------------------------------
# The fixtures are the sandbox distribution's pytest plugin (loaded through its pytest11 entry point), used with
# the config below: time frozen (tests advance it), no rate limit.
from legallymail_sandbox.config import SandboxConfig  # noqa: E402
from legallymail_sandbox.server import SandboxServer  # noqa: E402


@pytest.fixture(scope="session")
def legallymail_sandbox_config() -> SandboxConfig:
    return SandboxConfig(speed=0.0, rate_limit=0)


@pytest.fixture
def sandbox(legallymail_sandbox: SandboxServer) -> SandboxServer:
    return legallymail_sandbox
