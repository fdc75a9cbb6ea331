"""The production topology (issue 18): CeleryExecutor on Postgres and Redis, two workers and two triggerers on
hosts of their own behind one address, the sandbox's rate limit on; a worker SIGKILLed while signature
POSTs are in flight, a triggerer SIGKILLed while waits are deferred. The provider's promises, measured by the
API (the sandbox) and Airflow, printed as a table, then asserted.

Run with ``make test-distributed`` (the default ``pytest`` run deselects the ``distributed`` marker).
"""

from __future__ import annotations

import time

import pytest

from tests.distributed.conftest import RATE_LIMIT, RATE_WINDOW, Topology
from tests.distributed.dags.workload import DAG_ID
from tests.distributed.faults import hold_signature_posts, kill_triggerer_mid_wait, kill_worker_mid_send
from tests.distributed.figures import Figures, stored_sends, table
from tests.distributed.runs import (
    EXPECTED_TASKS,
    EXPECTED_UNITS,
    BoardSampler,
    budget_hosts,
    read_run,
    send_attempts,
    send_tries,
    task_instances,
    tries_failed_by_429,
    write_requests,
)

pytestmark = pytest.mark.distributed
RUN_TIMEOUT = 1200.0


def test_exactly_once_one_budget_and_readable_evidence_across_hosts(topology: Topology) -> None:
    sandbox, stack, api = topology.sandbox, topology.stack, topology.api
    figures = Figures(limit=RATE_LIMIT, window=RATE_WINDOW)
    hold_signature_posts(sandbox)
    api.set_paused(DAG_ID, False)
    started = time.monotonic()
    with BoardSampler(stack.api_url, stack.logs / "budget-board.jsonl"):
        run_id = api.trigger(DAG_ID)
        worker = kill_worker_mid_send(stack, api, sandbox, DAG_ID, run_id, "request_signature")
        print(f"\nSIGKILLed {worker.host}, {worker.in_flight} signature POSTs in flight", end="")
        print(f"; {worker.replacement} replaces it")
        triggerer = kill_triggerer_mid_wait(stack, topology.postgres)
        print(f"SIGKILLed {triggerer.host} running {triggerer.deferred} triggers; taken over: {dict(triggerer.owners)}")
        state = api.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT)
    figures.elapsed_seconds = time.monotonic() - started
    figures.in_flight_at_kill = worker.in_flight
    figures.waits_deferred_on_killed, figures.waits_lost = triggerer.deferred, triggerer.lost
    figures.takeover_seconds = triggerer.takeover_seconds
    log, sends = sandbox.received(), stored_sends(sandbox)
    write_requests(log, stack.logs / "sandbox-requests.jsonl")
    figures.read_requests(log)
    figures.read_sends(sends)
    killed = {host: when.timestamp() for host, when in stack.killed.items()}
    figures.read_budget(log, send_tries(api, DAG_ID, run_id), send_attempts(api, DAG_ID, run_id), killed)
    read_run(figures, task_instances(api, DAG_ID, run_id))
    figures.budget_hosts = sorted(budget_hosts(api))
    figures.failed_by_429 = tries_failed_by_429(stack.logs)

    rows = figures.rows(EXPECTED_UNITS, EXPECTED_TASKS)
    print(f"\nrun {run_id}: {state}\n{table(rows)}")
    broken = [f"{name}: {measured} (promise: {promise})" for name, measured, promise, kept in rows if not kept]
    assert broken == [], "promises broken on several hosts:\n" + "\n".join(broken)
