"""What Airflow says about the workload's run: every task instance, and the tries of each send."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from airflow_provider_legallymail.client.peers import VARIABLE_PREFIX, Entry, parse
from tests.airflow_e2e.api import AirflowApi
from tests.distributed.dags.workload import CONTRACTS, EMAILS, PHONES
from tests.distributed.figures import Attempt, Figures, Try, email_unit, epoch

# The send task of each unit, keyed as figures.stored_sends keys what the API stored.
SEND_UNITS: dict[str, list[tuple[str, str]]] = {
    "request_signature": [("signature", f"{c}.pdf") for c in CONTRACTS],
    "send_email": [("email", email_unit([a], f"Distributed proof {a}")) for a in EMAILS],
    "send_sms": [("sms", p) for p in PHONES],
}
EXPECTED_UNITS = {"signature": len(CONTRACTS), "email": len(EMAILS), "sms": len(PHONES)}
# request, sensor, archive and verify per contract; one task per email and per SMS.
EXPECTED_TASKS = 4 * len(CONTRACTS) + len(EMAILS) + len(PHONES)


def task_instances(api: AirflowApi, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
    return list(api.call("GET", path, params={"limit": 1000})["task_instances"])


def send_tries(api: AirflowApi, dag_id: str, run_id: str) -> list[Try]:
    tries = []
    for task_id, units in SEND_UNITS.items():
        for map_index, unit in enumerate(units):
            path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/tries"
            seen = {t["try_number"]: t for t in api.call("GET", path)["task_instances"]}
            tries += [
                Try(
                    unit,
                    epoch(t["start_date"]),
                    epoch(t["end_date"]) if t["end_date"] else None,
                    t["hostname"] or "",
                    int(t["try_number"]),
                )
                for t in seen.values()
                if t["start_date"]
            ]
    return tries


def send_attempts(api: AirflowApi, dag_id: str, run_id: str) -> list[Attempt]:
    """Every attempt each send task recorded in its ledger (Airflow's task state store, as a user reads it)."""
    attempts = []
    for task_id, units in SEND_UNITS.items():
        for map_index, unit in enumerate(units):
            path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/state-store/legallymail/ledger"
            ledger = api.call("GET", path, params={"map_index": map_index})["value"]
            for recorded in ledger["units"].values():
                attempts += [Attempt(unit, int(a["try"]), epoch(a["at"])) for a in recorded if a.get("try")]
    return attempts


def read_run(figures: Figures, tis: list[dict[str, Any]]) -> None:
    """Task states, retries used, and which archives were verified by a host other than their writer."""
    figures.task_states = Counter(str(ti["state"]) for ti in tis)
    figures.extra_tries = sum(max(int(ti["try_number"]) - 1, 0) for ti in tis)
    by_name = {(ti["task_id"], ti["map_index"]): ti for ti in tis}
    figures.archives = len(CONTRACTS)
    for index in range(len(CONTRACTS)):
        archive, verify = by_name.get(("archive_contract", index)), by_name.get(("verify_archive", index))
        if archive is None or verify is None:
            continue
        written_by, checked_by = archive["hostname"], verify["hostname"]
        if archive["state"] == verify["state"] == "success" and written_by and checked_by and written_by != checked_by:
            figures.archives_verified_elsewhere += 1


def budget_hosts(api: AirflowApi) -> dict[str, Entry]:
    """The hosts listed on the budget Variables (``client.peers``): host id -> when it last asked, and whether
    it only polls."""
    found = api.call("GET", "/api/v2/variables", params={"variable_key_pattern": VARIABLE_PREFIX, "limit": 100})
    hosts: dict[str, Entry] = {}
    for variable in found.get("variables", []):
        if str(variable.get("key", "")).startswith(VARIABLE_PREFIX):
            hosts.update(parse(variable.get("value")))
    return hosts


class BoardSampler:
    """Samples the budget Variable every ``every`` seconds while the workload runs, into ``path`` (JSON lines:
    ``{"t": epoch, "hosts": {host id: [when it last asked, whether it only polls]}}``): which hosts shared the
    budget when, to read next to the API's request log after a run."""

    def __init__(self, base_url: str, path: Path, every: float = 1.0) -> None:
        self.api, self.path, self.every = AirflowApi(base_url), path, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="board-sampler", daemon=True)

    def __enter__(self) -> BoardSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            while not self._stop.wait(self.every):
                try:
                    hosts = budget_hosts(self.api)
                except Exception as exc:  # a loaded api-server: a gap in the samples, not a failed run
                    out.write(json.dumps({"t": time.time(), "error": str(exc)[:200]}) + "\n")
                    continue
                out.write(json.dumps({"t": time.time(), "hosts": hosts}) + "\n")
                out.flush()


def write_requests(log: list[Mapping[str, Any]], path: Path) -> None:
    """The API's request log (time, method, path, status) as JSON lines, to read after a run."""
    with path.open("w", encoding="utf-8") as out:
        for entry in log:
            row = {key: entry.get(key) for key in ("time", "api", "method", "path", "status")}
            out.write(json.dumps(row) + "\n")


def tries_failed_by_429(logs: Path) -> list[str]:
    """The task tries whose log shows a ``RateLimitedError`` (a 429 that failed the try), in every host's task
    log folder under ``logs``: ``"<task_id>[<map_index>] try <n> on <host>"``."""
    found = []
    for path in sorted(logs.glob("*/dag_id=*/run_id=*/task_id=*/**/attempt=*.log")):
        if "RateLimitedError" in path.read_text(encoding="utf-8", errors="replace"):
            host, *folders = path.relative_to(logs).parts
            parts = dict(part.split("=", 1) for part in folders if "=" in part)
            index = f"[{parts['map_index']}]" if "map_index" in parts else ""
            found.append(f"{parts['task_id']}{index} try {path.stem.split('=')[1]} on {host}")
    return found
