"""Where tasks run: on this host only, or on several hosts, each with its own disk.

Under a distributed executor (Celery, Kubernetes, Edge, ECS, ...) a task's next try, or the next task,
may run on another host: a file it wrote to a local path (``/data/x``, ``file:///data/x``) is readable
there only if that path is a mount shared by every host (NFS, EFS). Object storage (``s3://``,
``gs://``, ...) is read the same from every host.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_legallymail.storage import TRUE_WORDS

LOCAL_PROTOCOLS = frozenset({"", "file", "local"})
"""``ObjectStoragePath`` protocols of this host's own filesystem ('' is a plain path)."""

SINGLE_HOST_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
"""Executors that run every task on the scheduler's host; any other one (built in, from a provider or
custom) is taken to run tasks elsewhere."""

K8S_EXECUTOR_POD = "AIRFLOW_IS_K8S_EXECUTOR_POD"
"""Set in a KubernetesExecutor task pod, whose own ``[core] executor`` often says LocalExecutor."""


def executor_names(setting: str) -> list[str]:
    """The class names in a ``[core] executor`` value.

    Airflow 3 accepts a comma-separated list, ``alias:module.path.Class`` entries and per-team lists
    (``CeleryExecutor;team1=KubernetesExecutor``): ``"a:x.y.CeleryExecutor, LocalExecutor"`` ->
    ``["CeleryExecutor", "LocalExecutor"]``.
    """
    names = []
    for team_list in setting.split(";"):
        for entry in team_list.split("=")[-1].split(","):
            name = entry.strip().split(":")[-1].strip().rsplit(".", 1)[-1]
            if name:
                names.append(name)
    return names


def configured_executor() -> str:
    """``[core] executor`` as configured ('' when Airflow's configuration cannot be read)."""
    value = os.environ.get("AIRFLOW__CORE__EXECUTOR")
    if value is None:
        try:
            from airflow.configuration import conf

            value = conf.get("core", "executor", fallback="")
        except Exception:  # pragma: no cover - configuration unavailable
            value = ""
    return value or ""


def in_process_test_run() -> bool:
    """True inside ``dag.test()`` / ``airflow dags test`` without an executor: every task runs in this process."""
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:  # pragma: no cover - no task SDK
        return False
    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    return type(comms).__name__ == "InProcessSupervisorComms"


def is_distributed_executor() -> bool:
    """True when tasks may run on several hosts: any configured executor other than Local / Sequential /
    Debug, or a KubernetesExecutor pod; False inside ``dag.test()`` / ``airflow dags test``."""
    if in_process_test_run():
        return False
    if os.environ.get(K8S_EXECUTOR_POD, "").strip().lower() in TRUE_WORDS:
        return True
    return any(name not in SINGLE_HOST_EXECUTORS for name in executor_names(configured_executor()))


def executor_description() -> str:
    """How this process learned where tasks run, for messages: ``[core] executor = CeleryExecutor``."""
    if os.environ.get(K8S_EXECUTOR_POD, "").strip().lower() in TRUE_WORDS:
        return "a KubernetesExecutor task pod"
    return f"[core] executor = {configured_executor() or '(unset)'}"


def local_location(url_or_path: Any) -> bool:
    """True for a location on this host's own filesystem: a plain path, ``file://`` or ``local://`` URL, or
    an ``ObjectStoragePath`` of one of those protocols. ``s3://``, ``gs://``, ... are not local."""
    protocol = getattr(url_or_path, "protocol", None)
    if protocol is None:
        scheme = urlsplit(str(url_or_path).strip()).scheme.lower()
        protocol = "" if len(scheme) == 1 else scheme  # C:\\... is a drive, not a scheme
    return str(protocol).lower() in LOCAL_PROTOCOLS


def readable_by_every_host(url_or_path: Any, *, declared_shared: bool = False) -> bool:
    """Whether what is written at ``url_or_path`` now can be read by any later task, wherever it runs.

    True for object storage, for any location when tasks run on one host, and for a local path the
    deployment declares shared (``declared_shared``: the same NFS/EFS mount on every host).
    """
    return declared_shared or not local_location(url_or_path) or not is_distributed_executor()
