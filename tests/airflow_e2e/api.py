"""``AirflowApi``: what a test asks Airflow's api-server, through its REST API (``/api/v2``, and ``/ui`` for
the connection form metadata the UI reads).

The stack runs the simple auth manager with every request admin, so no token is needed. ``wait_*`` methods
poll until a state is reached and raise ``TimeoutError`` (with what they saw last) when it is not: they
bound a test's run time, they do not assert on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import requests

T = TypeVar("T")
RUN_TERMINAL = frozenset({"success", "failed"})
TASK_TERMINAL = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, response: requests.Response) -> None:
        super().__init__(f"{method} {path}: HTTP {response.status_code} {response.text[:2000]}")
        self.status_code = response.status_code


class AirflowApi:
    def __init__(self, base_url: str, poll_seconds: float = 1.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_seconds = poll_seconds
        self.session = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request to ``base_url + path``; its JSON (None for an empty answer). Raises ``ApiError``."""
        response = self.session.request(method, self.base_url + path, timeout=30, **kwargs)
        if not response.ok:
            raise ApiError(method, path, response)
        return response.json() if response.content else None

    def wait(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Call ``probe`` until it returns something other than None. A probe the api-server did not answer in
        time (a loaded machine) counts as "not yet", until the deadline."""
        deadline = time.monotonic() + timeout
        unanswered: Exception | None = None
        while True:
            try:
                found = probe()
            except (requests.Timeout, requests.ConnectionError) as exc:
                found, unanswered = None, exc
            if found is not None:
                return found
            if time.monotonic() > deadline:
                last = f" (last probe unanswered: {unanswered})" if unanswered else ""
                raise TimeoutError(f"{what}: not reached within {timeout:g}s{last}")
            time.sleep(self.poll_seconds)

    # -- DAGs and runs -------------------------------------------------------------------------------
    def dag(self, dag_id: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", f"/api/v2/dags/{dag_id}")  # type: ignore[no-any-return]
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict[str, Any]:
        """Until the dag-processor has parsed ``dag_id`` and the api-server knows it."""
        return self.wait(f"DAG {dag_id} parsed", lambda: self.dag(dag_id), timeout)

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "/api/v2/importErrors")["import_errors"])

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.call("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        """A manual run now; returns its run id."""
        body = {"logical_date": None, "conf": conf or {}}
        return str(self.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_for_run(
        self, dag_id: str, run_id: str, states: Collection[str] = RUN_TERMINAL, timeout: float = 180
    ) -> str:
        """Until the run is in one of ``states`` (default: finished); returns that state."""

        def probe() -> str | None:
            state = self.run_state(dag_id, run_id)
            return state if state in states else None

        return self.wait(f"{dag_id} run {run_id} in {sorted(states)}", probe, timeout)

    # -- task instances and XCom ---------------------------------------------------------------------
    def task_instances(self, dag_id: str, run_id: str) -> dict[str, tuple[str | None, int]]:
        """``task_id[map_index]`` -> (state, try_number) of every task instance of the run."""
        answer = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        out = {}
        for ti in answer["task_instances"]:
            name = ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"
            out[name] = (ti["state"], int(ti["try_number"]))
        return out

    def wait_for_task(
        self, dag_id: str, run_id: str, task: str, states: Collection[str] = TASK_TERMINAL, timeout: float = 180
    ) -> str:
        """Until task instance ``task`` (``task_id`` or ``task_id[i]``) is in one of ``states``; returns it."""

        def probe() -> str | None:
            state = self.task_instances(dag_id, run_id).get(task, (None, 0))[0]
            return state if state in states else None

        return self.wait(f"{dag_id} {run_id} {task} in {sorted(states)}", probe, timeout)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.call("GET", path, params={"map_index": map_index, "deserialize": "true"})["value"]

    # -- connections ---------------------------------------------------------------------------------
    def connection_types(self) -> dict[str, dict[str, Any]]:
        """connection type -> its form metadata (hook, standard and extra fields), as the UI's form reads it."""
        return {meta["connection_type"]: meta for meta in self.call("GET", "/ui/connections/hook_meta")}

    def test_connection(self, connection: dict[str, Any]) -> tuple[bool, str]:
        """``POST /api/v2/connections/test`` (needs ``[core] test_connection = Enabled``)."""
        answer = self.call("POST", "/api/v2/connections/test", json=connection)
        return bool(answer["status"]), str(answer["message"])
