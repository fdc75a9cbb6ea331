"""A sandbox and a real Airflow (api-server, scheduler, dag-processor, triggerer) on a throwaway home, shared
by the module's tests and torn down after them, also when one fails.

The dags folder is a copy of ``example_dags/`` plus the test DAGs of ``tests/airflow_e2e/dags/``; both
default connections come from ``AIRFLOW_CONN_...``
pointing at the sandbox, whose clock runs ``EXAMPLE_SPEED`` times faster than real time (as in make demo);
the examples' Variables (contracts table, evidence folder) from ``AIRFLOW_VAR_...``, inside the home.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.examples import EXAMPLE_SPEED, EXAMPLES_FOLDER
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.airflow_e2e.api import AirflowApi
from tests.airflow_e2e.stack import AirflowStack


@pytest.fixture(scope="module")
def e2e_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(speed=EXAMPLE_SPEED, rate_limit=0)) as server:
        yield server


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("airflow-e2e"))


@pytest.fixture(scope="module")
def places(e2e_home: Path) -> dict[str, Path]:
    """The examples' Airflow Variables (as ``AIRFLOW_VAR_...``): the contracts table and the evidence folder."""
    return {"contracts_db": e2e_home / "contracts.db", "evidence_dir": e2e_home / "evidence"}


@pytest.fixture(scope="module")
def stack(e2e_sandbox: SandboxServer, e2e_home: Path, places: dict[str, Path]) -> Iterator[AirflowStack]:
    env = e2e_sandbox.connection_env(requests_per_minute=0)
    env.update({f"AIRFLOW_VAR_LEGALLYMAIL_{name.upper()}": str(path) for name, path in places.items()})
    dags = e2e_home / "dags"
    shutil.copytree(EXAMPLES_FOLDER, dags, ignore=shutil.ignore_patterns("__pycache__"))
    for test_dag in (Path(__file__).parent / "dags").glob("*.py"):
        shutil.copy(test_dag, dags / test_dag.name)
    with AirflowStack(e2e_home, dags, env=env) as airflow:
        airflow.start()
        yield airflow


@pytest.fixture(scope="module")
def api(stack: AirflowStack) -> AirflowApi:
    return AirflowApi(stack.api_url)
