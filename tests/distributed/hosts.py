"""``DistributedStack``: Airflow as our users run it on several hosts, on one machine.

"Host 0" (api-server, scheduler, dag-processor) runs as ``AirflowStack`` runs it. Every Celery worker and
triggerer is a host of its own: ``unshare --mount --uts`` gives it its own mount namespace, with a fresh
tmpfs mounted over ``host_root`` (its ``AIRFLOW_HOME`` and ``TMPDIR`` are inside: nothing it writes there is
seen by another host, and it is gone when the host dies) and its own host name (what Airflow records as a
task instance's ``hostname``, and Celery's node name). All hosts share the loopback address: one NAT address,
as far as the API's per-IP rate limit can tell. The shared settings (database, broker, JWT secret, fernet
key, api secret) come through the environment, as a deployment passes them.

    stack.start_host(Host("worker-a", "worker", queues=("default", "host-a")))
    stack.kill("worker-a")          # SIGKILL its process group: no clean-up, its disk is gone
"""

from __future__ import annotations

import secrets
import signal
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tests.airflow_e2e.stack import AIRFLOW, START_TIMEOUT_SECONDS, AirflowStack, StackError, parse_time

HOST0 = ("api-server", "scheduler", "dag-processor")
WORKER_CONCURRENCY = 8
# ``mount`` a tmpfs over the host root, take the host name, make the home and temp dir, then become Airflow.
HOST_SCRIPT = (
    'mount -t tmpfs -o size=2g tmpfs "$1" && hostname "$2" && mkdir -p "$AIRFLOW_HOME" "$TMPDIR" '
    '&& shift 2 && exec "$@"'
)


@dataclass(frozen=True)
class Host:
    """A worker (Celery, on ``queues``) or a triggerer, alone on a host named ``name``."""

    name: str
    kind: str  # "worker" or "triggerer"
    queues: tuple[str, ...] = field(default=())


class DistributedStack(AirflowStack):
    """``AirflowStack`` on Postgres and Redis with the CeleryExecutor, plus worker and triggerer hosts."""

    def __init__(
        self, home: Path, dags_folder: Path, *, database_url: str, broker_url: str, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(home, dags_folder, env=env)
        self.host_root = home / "host"  # the same path on every host; a tmpfs of its own on each
        self.hosts: dict[str, Host] = {}
        self.killed: dict[str, datetime] = {}
        # The provider's defaults: no shared ledger, no shared state directory (each host's temp dir).
        for name in ("LEGALLYMAIL_PROVIDER_STATE_DIR", "AIRFLOW__LEGALLYMAIL__LEDGER_PATH"):
            self.env.pop(name, None)
        self.env.update(
            {
                "AIRFLOW_HOME": str(self.host_root / "airflow"),
                "TMPDIR": str(self.host_root / "tmp"),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + database_url,
                "AIRFLOW__CORE__FERNET_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname",  # the host's own name, no DNS
                "AIRFLOW__CORE__PARALLELISM": "64",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "64",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "default",
                # A killed worker's tasks are failed (then retried) after this long without a heartbeat, and
                # what it had taken from the queue but not started is queued again (Airflow: 300 s, 600 s).
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "40",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "90",
            }
        )
        self.env.update(env or {})

    # -- hosts ---------------------------------------------------------------------------------------
    def command(self, component: str) -> list[str]:
        host = self.hosts.get(component)
        if host is None:
            return super().command(component)
        if host.kind == "worker":
            queues = ",".join(host.queues)
            argv = [str(AIRFLOW), "celery", "worker", "--skip-serve-logs", "-q", queues, "-c", str(WORKER_CONCURRENCY)]
        else:
            argv = [str(AIRFLOW), "triggerer", "--skip-serve-logs"]
        unshare = ["unshare", "--mount", "--uts", "--propagation", "private", "--"]
        return [*unshare, "sh", "-c", HOST_SCRIPT, "sh", str(self.host_root), host.name, *argv]

    def component_env(self, component: str) -> dict[str, str]:
        """Task logs in a folder per host, outside its disk: to read after the run, never read by another host."""
        name = self.hosts[component].name if component in self.hosts else "host0"
        return {**self.env, "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs / name)}

    def start_host0(self) -> None:
        self.host_root.mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        self.start(*HOST0)

    def start_host(self, *hosts: Host, timeout: float = START_TIMEOUT_SECONDS) -> None:
        for host in hosts:
            self.hosts[host.name] = host
        self.start(*(h.name for h in hosts), timeout=timeout)

    def kill(self, name: str) -> datetime:
        """SIGKILL the host's whole process group (no clean-up runs); returns when."""
        process = self.processes.pop(name)
        when = datetime.now(timezone.utc)
        self._signal_group(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        output = self._outputs.pop(name, None)
        if output is not None:
            output.close()
        self.killed[name] = when
        return when

    # -- health --------------------------------------------------------------------------------------
    def _healthy(self, health: dict[str, object], component: str, since: datetime | None) -> bool:  # type: ignore[override]
        host = self.hosts.get(component)
        if host is None:
            return AirflowStack._healthy(health, component, since)
        if host.kind == "worker":
            return f"celery@{host.name} ready." in self._current_log(component)
        return self.triggerer_alive(host.name, since)

    def _current_log(self, component: str) -> str:
        path = self.logs / f"{component}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text.rsplit(f"starting {component}\n", 1)[-1]

    def triggerer_alive(self, name: str, since: datetime | None = None) -> bool:
        """A running TriggererJob on host ``name`` with a heartbeat newer than ``since``."""
        try:
            answer = self.jobs("TriggererJob", hostname=name)
        except StackError:
            return False
        for job in answer:
            beat = parse_time(str(job.get("latest_heartbeat") or ""))
            if job.get("state") == "running" and beat is not None and (since is None or beat > since):
                return True
        return False

    def jobs(self, job_type: str, **filters: str) -> list[dict[str, object]]:
        import requests

        params = {"job_type": job_type, "limit": "100", **filters}
        try:
            response = requests.get(f"{self.api_url}/api/v2/jobs", params=params, timeout=10)
        except requests.RequestException as exc:
            raise StackError(f"GET /api/v2/jobs: {exc}") from None
        if not response.ok:
            raise StackError(f"GET /api/v2/jobs: HTTP {response.status_code} {response.text[:500]}")
        return list(response.json()["jobs"])
