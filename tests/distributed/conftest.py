"""The topology of ``make test-distributed``, built from nothing and torn down after the test, also when it
fails or pytest gets SIGTERM: Postgres, Redis, the sandbox (rate limit on), host 0, two Celery workers and two
triggerers (see ``hosts.py``), and a shared evidence directory outside every host's own disk."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.airflow_e2e.api import AirflowApi
from tests.airflow_e2e.stack import _interrupt
from tests.distributed.dags.workload import ARCHIVE_QUEUE, DAG_ID, VERIFY_QUEUE
from tests.distributed.hosts import DistributedStack, Host
from tests.distributed.services import LocalPostgres, LocalRedis

DAGS_FOLDER = Path(__file__).parent / "dags"
# The API's limit (10 requests per window per IP), its window scaled from 60 s to keep CI short; the sandbox
# clock runs at real speed.
RATE_LIMIT, RATE_WINDOW = 10, 15.0
WORKERS = (
    Host("worker-a", "worker", ("default", ARCHIVE_QUEUE)),
    Host("worker-b", "worker", ("default", VERIFY_QUEUE)),
)
TRIGGERERS = (Host("triggerer-a", "triggerer"), Host("triggerer-b", "triggerer"))


@dataclass
class Topology:
    sandbox: SandboxServer
    postgres: LocalPostgres
    stack: DistributedStack
    api: AirflowApi
    evidence: Path


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    root = Path(tmp_path_factory.mktemp("distributed"))
    evidence = root / "evidence"  # every host sees it (an NFS/EFS mount in production)
    evidence.mkdir()
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a CI time limit unwinds the with-blocks below
    try:
        with ExitStack() as resources:
            postgres = resources.enter_context(LocalPostgres())
            redis = resources.enter_context(LocalRedis(root / "redis"))
            sandbox = resources.enter_context(
                SandboxServer(SandboxConfig(rate_limit=RATE_LIMIT, rate_window=RATE_WINDOW, speed=1.0))
            )
            env = sandbox.connection_env(rate_window=RATE_WINDOW)
            env["AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH"] = f"file://{evidence}"
            env["AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED"] = "True"
            stack = DistributedStack(root, DAGS_FOLDER, database_url=postgres.url, broker_url=redis.url, env=env)
            resources.enter_context(stack)
            stack.start_host0()
            api = AirflowApi(stack.api_url)
            api.wait_for_dag(DAG_ID)
            stack.start_host(*WORKERS, *TRIGGERERS)
            yield Topology(sandbox, postgres, stack, api, evidence)
    finally:
        signal.signal(signal.SIGTERM, previous)
