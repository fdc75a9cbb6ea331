"""The two SIGKILLs: a Celery worker while signature POSTs are in flight, a triggerer while waits are deferred.

In flight means the API has received the POST and not yet answered: a sandbox latency fault holds each
signature POST for ``POST_LATENCY`` seconds, so the kill lands between the API committing the request and the
client reading the answer (the sandbox completes it anyway: the request was sent).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from legallymail_sandbox.server import SandboxServer
from tests.airflow_e2e.api import AirflowApi
from tests.distributed.hosts import DistributedStack, Host
from tests.distributed.services import LocalPostgres

SIGNATURE_SEND = "/api/signature/send"
POST_LATENCY = 20.0
IN_FLIGHT_TARGET = 8
DEFERRED_TARGET = 5
FAULT_TIMEOUT = 240.0
DEFER_TIMEOUT = 600.0  # the signature sensors defer once all 20 requests are out, at the budget's pace
TAKEOVER_TIMEOUT = 240.0


def hold_signature_posts(sandbox: SandboxServer) -> None:
    """Hold every admitted signature POST (until the worker kill clears the fault); 429s still answer at once."""
    sandbox.fault("legallymail", "POST", SIGNATURE_SEND, latency=POST_LATENCY)


def in_flight(sandbox: SandboxServer) -> int:
    return sum(
        1 for e in sandbox.received(api="legallymail", method="POST", path=SIGNATURE_SEND) if e["status"] is None
    )


@dataclass
class WorkerKill:
    host: str
    in_flight: int
    replacement: str


def kill_worker_mid_send(
    stack: DistributedStack, api: AirflowApi, sandbox: SandboxServer, dag_id: str, run_id: str, task_id: str
) -> WorkerKill:
    """Once ``IN_FLIGHT_TARGET`` signature POSTs are in flight (after ``FAULT_TIMEOUT``: any), kill
    the worker running the most ``task_id`` instances, lift the latency, start a replacement on its queues."""
    deadline = time.monotonic() + FAULT_TIMEOUT
    while (now := in_flight(sandbox)) < IN_FLIGHT_TARGET and (now == 0 or time.monotonic() < deadline):
        if time.monotonic() > deadline + FAULT_TIMEOUT:
            raise TimeoutError(f"no signature POST in flight within {2 * FAULT_TIMEOUT:g}s")
        time.sleep(0.25)
    answer = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
    running = Counter(
        ti["hostname"] for ti in answer["task_instances"] if ti["task_id"] == task_id and ti["state"] == "running"
    )
    victim = running.most_common(1)[0][0] if running else next(n for n, h in stack.hosts.items() if h.kind == "worker")
    stack.kill(victim)
    sandbox.clear_faults()
    old = stack.hosts[victim]
    replacement = Host(f"{victim}-2", "worker", old.queues)  # a new host on the same queues: a fresh disk
    stack.start_host(replacement)
    return WorkerKill(victim, now, replacement.name)


@dataclass
class TriggererKill:
    host: str
    deferred: int = 0
    lost: int = 0
    takeover_seconds: float | None = None
    owners: Counter[str] = field(default_factory=Counter)


def triggers_by_host(postgres: LocalPostgres) -> dict[str, set[str]]:
    rows = postgres.query("SELECT t.id, j.hostname FROM trigger t JOIN job j ON t.triggerer_id = j.id")
    out: dict[str, set[str]] = {}
    for trigger_id, host in rows:
        out.setdefault(host, set()).add(trigger_id)
    return out


def kill_triggerer_mid_wait(stack: DistributedStack, postgres: LocalPostgres) -> TriggererKill:
    """Once one triggerer runs ``DEFERRED_TARGET`` triggers (after ``DEFER_TIMEOUT``: any), kill it; then time
    until the others own all of them (or they fired)."""
    triggerers = [n for n, h in stack.hosts.items() if h.kind == "triggerer" and stack.running(n)]
    deadline = time.monotonic() + DEFER_TIMEOUT
    while True:
        owned = {host: ids for host, ids in triggers_by_host(postgres).items() if host in triggerers}
        victim = max(owned, key=lambda h: len(owned[h]), default=None)
        if victim is not None and (len(owned[victim]) >= DEFERRED_TARGET or time.monotonic() > deadline):
            break
        if time.monotonic() > deadline + FAULT_TIMEOUT:
            raise TimeoutError(f"no trigger ran in a triggerer within {DEFER_TIMEOUT + FAULT_TIMEOUT:g}s")
        time.sleep(0.5)
    ids = owned[victim]
    stack.kill(victim)
    killed_at = time.monotonic()
    result = TriggererKill(victim, deferred=len(ids))
    pending = set(ids)
    while pending and time.monotonic() - killed_at < TAKEOVER_TIMEOUT:
        placed = {i: host for host, owned_ids in triggers_by_host(postgres).items() for i in owned_ids}
        alive = postgres_ids(postgres, pending)
        for trigger_id in list(pending):
            if trigger_id not in alive or placed.get(trigger_id, victim) != victim:
                pending.discard(trigger_id)
                result.owners[placed.get(trigger_id, "(fired)")] += 1
        time.sleep(0.5)
    result.lost = len(pending)
    if not pending:
        result.takeover_seconds = time.monotonic() - killed_at
    return result


def postgres_ids(postgres: LocalPostgres, ids: set[str]) -> set[str]:
    """Which of the trigger ``ids`` still exist."""
    if not ids:
        return set()
    rows = postgres.query(f"SELECT id FROM trigger WHERE id IN ({', '.join(sorted(ids))})")
    return {row[0] for row in rows}
