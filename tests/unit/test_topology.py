"""Where tasks run: which executors spread tasks over hosts, and which locations only this host can read."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail import topology


@pytest.fixture
def executor(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(topology.K8S_EXECUTOR_POD, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("setting", "distributed"),
    [
        ("LocalExecutor", False),
        ("SequentialExecutor", False),
        ("airflow.executors.local_executor.LocalExecutor", False),
        ("CeleryExecutor", True),
        ("KubernetesExecutor", True),
        ("CeleryKubernetesExecutor", True),
        ("LocalKubernetesExecutor", True),
        ("airflow.providers.edge3.executors.EdgeExecutor", True),
        ("LocalExecutor,CeleryExecutor", True),  # Airflow 3: a task may be sent to any listed executor
        (" LocalExecutor , my_local:LocalExecutor ", False),
        ("fast:airflow.providers.celery.executors.celery_executor.CeleryExecutor", True),
        ("LocalExecutor;team1=KubernetesExecutor", True),
        ("my_company.executors.GridExecutor", True),  # unknown: assume tasks may run elsewhere
    ],
)
def test_executor_settings_that_spread_tasks_over_hosts(
    executor: pytest.MonkeyPatch, setting: str, distributed: bool
) -> None:
    executor.setenv("AIRFLOW__CORE__EXECUTOR", setting)
    assert topology.is_distributed_executor() is distributed


def test_a_kubernetes_executor_pod_is_distributed_even_when_its_config_says_local(
    executor: pytest.MonkeyPatch,
) -> None:
    executor.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")  # what the Helm chart's pod template sets
    executor.setenv(topology.K8S_EXECUTOR_POD, "True")
    assert topology.is_distributed_executor()
    assert "KubernetesExecutor" in topology.executor_description()


def test_dag_test_runs_every_task_in_this_process_whatever_the_executor(executor: pytest.MonkeyPatch) -> None:
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.supervisor import InProcessSupervisorComms

    executor.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    assert topology.is_distributed_executor()
    executor.setattr(task_runner, "SUPERVISOR_COMMS", object.__new__(InProcessSupervisorComms), raising=False)
    assert not topology.is_distributed_executor()


@pytest.mark.parametrize(
    ("location", "local"),
    [
        ("/data/evidence", True),
        ("relative/evidence", True),
        ("file:///data/evidence", True),
        ("local:///data/evidence", True),
        ("s3://bucket/evidence", False),
        ("s3://aws_default@bucket/evidence", False),
        ("gs://bucket/evidence", False),
        ("abfs://container/evidence", False),
    ],
)
def test_local_locations(location: str, local: bool) -> None:
    from airflow.sdk import ObjectStoragePath

    assert topology.local_location(location) is local
    assert topology.local_location(ObjectStoragePath(location)) is local


def test_a_local_location_is_readable_by_every_host_only_on_one_host_or_when_declared_shared(
    executor: pytest.MonkeyPatch,
) -> None:
    executor.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    assert topology.readable_by_every_host("/data/evidence")
    executor.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    assert not topology.readable_by_every_host("/data/evidence")
    assert topology.readable_by_every_host("/data/evidence", declared_shared=True)
    assert topology.readable_by_every_host("s3://bucket/evidence")
