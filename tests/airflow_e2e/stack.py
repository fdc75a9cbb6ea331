"""``AirflowStack``: the four Airflow 3 components as separate processes on a throwaway home.

    with AirflowStack(home, dags_folder, env=sandbox.connection_env()) as stack:
        stack.start()                      # db migrate, then api-server, scheduler, dag-processor, triggerer
        api = AirflowApi(stack.api_url)
        ...
        stack.restart("triggerer")         # stop its process group, start it again, wait for a new heartbeat

LocalExecutor on SQLite (what ``airflow standalone`` uses in Airflow 3), the simple auth manager with every
request admin, ``test_connection`` enabled. Each component runs in its own session (process group), its
output in ``<home>/logs/<component>.log``; ``stop``/``close`` signal the whole group (task workers too),
SIGKILL after a grace period, also when a test fails or pytest gets SIGTERM. A log tail is in every error raised here.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTH_KEYS = {"scheduler": "scheduler", "triggerer": "triggerer", "dag-processor": "dag_processor"}
AIRFLOW = Path(sys.executable).with_name("airflow")
STOP_GRACE_SECONDS = 20.0
START_TIMEOUT_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parse_time(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value.replace("Z", "+00:00"))


def session_members(sid: int) -> list[int]:
    """The processes of session ``sid`` (``start_new_session`` makes a component the leader of one)."""
    members = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            if entry.isdigit() and os.getsid(int(entry)) == sid:
                members.append(int(entry))
    return members


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class StackError(RuntimeError):
    """A component did not start, stopped, or answered wrongly; the message ends with its log's tail."""


class AirflowStack:
    """Start, stop and restart Airflow components; the environment they share is ``self.env``."""

    def __init__(self, home: Path, dags_folder: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.logs = home / "logs"
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._outputs: dict[str, IO[bytes]] = {}
        self._sigterm: Any = signal.SIG_DFL
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LEGALLYMAIL"))},
            "AIRFLOW_HOME": str(home / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
            "SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(home / "state"),
            **(env or {}),
        }
        atexit.register(self.close)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- processes ---------------------------------------------------------------------------------
    def airflow(self, *args: str, timeout: float = 300) -> str:
        """Run one ``airflow`` command to completion in the stack's environment; returns its output."""
        done = subprocess.run(
            [str(AIRFLOW), *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise StackError(f"airflow {' '.join(args)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, *components: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start ``components`` (default: migrate the database, then all four) and wait until they are healthy."""
        if not components:
            self.home.mkdir(parents=True, exist_ok=True)
            self.airflow("db", "migrate")
            components = COMPONENTS
        since = datetime.now(timezone.utc)
        for component in components:
            self._spawn(component)
        self.wait_healthy(*components, since=since, timeout=timeout)

    def command(self, component: str) -> list[str]:
        """The command line that runs ``component`` (a subclass may run others, or wrap these)."""
        if component not in COMPONENTS:
            raise ValueError(f"unknown component {component!r}; one of {', '.join(COMPONENTS)}")
        args = ["api-server", "--host", "127.0.0.1", "--port", str(self.port)] if component == "api-server" else []
        return [str(AIRFLOW), *(args or [component])]

    def _spawn(self, component: str) -> None:
        argv = self.command(component)
        if self.running(component):
            raise StackError(f"{component} is already running")
        self.logs.mkdir(parents=True, exist_ok=True)
        output = (self.logs / f"{component}.log").open("ab")
        output.write(f"\n---- {datetime.now(timezone.utc).isoformat()} starting {component}\n".encode())
        output.flush()
        self._outputs[component] = output
        self.processes[component] = subprocess.Popen(
            argv,
            env=self.component_env(component),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches the workers it forks
        )

    def component_env(self, component: str) -> dict[str, str]:
        """The environment ``component`` runs in: the shared one (a subclass may add per-component values)."""
        return self.env

    def running(self, component: str) -> bool:
        process = self.processes.get(component)
        return process is not None and process.poll() is None

    def stop(self, *components: str, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the process groups of ``components`` (default: all) at once, SIGKILL what is left after
        ``grace`` seconds, and also the children that outlived their parent."""
        stopping = {c: p for c in components or tuple(self.processes) if (p := self.processes.pop(c, None))}
        for process in stopping.values():
            self._signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for component, process in stopping.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self._signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=grace)
            self._signal_group(process.pid, signal.SIGKILL)
            output = self._outputs.pop(component, None)
            if output is not None:
                output.close()

    @staticmethod
    def _signal_group(pgid: int, signum: int) -> None:
        """Signal the process group and every other process of the session it leads: Airflow's task processes
        run in process groups of their own, and outlive a SIGKILLed parent."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)
        for pid in session_members(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    def restart(self, component: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Stop one component and start it again; returns once it reports a heartbeat newer than the restart."""
        self.stop(component)
        self.start(component, timeout=timeout)

    def close(self) -> None:
        self.stop()

    def __enter__(self) -> AirflowStack:
        # A SIGTERM (a CI time limit) would end pytest with no clean-up: make it an interrupt, which unwinds.
        self._sigterm = signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.close()
        finally:
            signal.signal(signal.SIGTERM, self._sigterm)

    # -- health --------------------------------------------------------------------------------------
    def health(self) -> dict[str, object] | None:
        """``GET /api/v2/monitor/health``, or None while the api-server does not answer."""
        try:
            response = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5)
        except requests.RequestException:
            return None
        return response.json() if response.ok else None  # type: ignore[no-any-return]

    def wait_healthy(self, *components: str, since: datetime | None = None, timeout: float = 120) -> None:
        """Until each component runs and (except the api-server) has a heartbeat newer than ``since``."""
        deadline = time.monotonic() + timeout
        pending = list(components)
        while pending:
            for component in pending:
                if not self.running(component):
                    raise StackError(f"{component} exited while starting\n{self.log_tail(component)}")
            health = self.health()
            if health is not None:
                pending = [c for c in pending if not self._healthy(health, c, since)]
            if not pending:
                return
            if time.monotonic() > deadline:
                tails = "\n".join(self.log_tail(c) for c in pending)
                raise StackError(f"not healthy within {timeout:g}s: {', '.join(pending)}; health {health}\n{tails}")
            time.sleep(0.5)

    @staticmethod
    def _healthy(health: dict[str, object], component: str, since: datetime | None) -> bool:
        if component == "api-server":
            return True
        info = health.get(HEALTH_KEYS[component])
        if not isinstance(info, dict) or info.get("status") != "healthy":
            return False
        beat = parse_time(info.get(f"latest_{HEALTH_KEYS[component]}_heartbeat"))
        return since is None or (beat is not None and beat > since)

    def log_tail(self, component: str, lines: int = 40) -> str:
        path = self.logs / f"{component}.log"
        text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]
        return f"---- end of {path}:\n" + "\n".join(text)
