"""The example DAGs, copied into the test dags folder, and the sandbox running fast enough for their waits.

The copy keeps ``example_dags/``'s layout (``data/``, ``templates/``), so each DAG finds its files next to
itself, as it does in a real dags folder. The sandbox clock runs at ``EXAMPLE_SPEED`` (statuses that take a
minute take half a second), and the sensors' poller knows it, as in ``make demo``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.waiting import poller
from demo.examples import EXAMPLE_SPEED, EXAMPLES_FOLDER
from demo.runs import parse_dags
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import DAGS_FOLDER
from tests.integration.conftest import connect, waits

__all__ = ["connect", "waits"]


@pytest.fixture(scope="session")
def examples_copy() -> Path:
    """``example_dags/`` inside the dags folder (Airflow runs only DAG files found there)."""
    target = DAGS_FOLDER / "example_dags"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(EXAMPLES_FOLDER, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="session")
def example_dags(examples_copy: Path, airflow_db: None) -> dict[str, Any]:
    """dag_id -> DAG of every example, parsed by Airflow's DagBag as the dag processor parses them."""
    bag = parse_dags(str(examples_copy))
    assert bag.import_errors == {}
    return dict(bag.dags)


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The examples' Airflow Variables, set through ``AIRFLOW_VAR_...``: a fresh contracts table and archive."""
    found = {"contracts_db": tmp_path / "contracts.db", "evidence_dir": tmp_path / "evidence"}
    for name, path in found.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_LEGALLYMAIL_{name.upper()}", str(path))
    return found


@pytest.fixture
def examples(
    sandbox: SandboxServer,
    connect: Any,
    example_dags: dict[str, Any],
    places: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """The example DAGs, with the default connections pointing at a fresh sandbox whose clock runs, and their
    Variables pointing at a fresh contracts table and evidence folder (``places``).

    Contact-list snapshots (kept under ``$AIRFLOW_HOME``) describe the sandbox of an earlier test: removed.
    """
    sandbox.set_speed(EXAMPLE_SPEED)
    # The connections (set by `connect`) predate the speed-up: their sandbox_speed extra is not set.
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(EXAMPLE_SPEED))
    shutil.rmtree(Path(os.environ["AIRFLOW_HOME"]) / "legallymail" / "contact-snapshots", ignore_errors=True)
    return example_dags
