"""The absolute deadline of a wait, fixed at the first try and read back by every later try.

Airflow restarts a sensor's ``timeout`` (and ``defer(timeout=)``) at every try and every deferral, so a
wait that is retried or re-deferred would wait longer than asked. The first try writes its deadline to the
task instance's documents (``task_documents``: Airflow's task state store on 3.3+, key
``legallymail/deadline``, so a retry on any host reads it; else ``<ledger_path>/<dag_id>/<run_id>/<task_id>
[.<map_index>].deadline.json``); later tries, reschedules and re-deferrals use that one. Clearing a task keeps
the deadline, like it keeps the ledger: give the task a new ``timeout`` to wait afresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from airflow_provider_legallymail.task_documents import DocumentStore, task_documents

log = logging.getLogger(__name__)
DEADLINE = "deadline"


def task_deadline(context: Mapping[str, Any], timeout: float, ledger_path: str | None = None) -> float:
    """``fixed_deadline`` in the running task instance's documents."""
    return fixed_deadline(task_documents(context, ledger_path), timeout)


def fixed_deadline(documents: DocumentStore, timeout: float, *, now: float | None = None) -> float:
    """Epoch seconds: ``first try's start + timeout``, the same for every try of this task instance.

    A document written for another ``timeout`` is replaced: changing the timeout starts a new wait.
    """
    try:
        stored = documents.read(DEADLINE)
        if stored is not None and float(stored.get("timeout", -1)) == float(timeout):
            return float(stored["deadline"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("The wait's deadline at %s is unreadable (%s): fixing it again from now", documents.where, exc)
    started = time.time() if now is None else now
    deadline = started + float(timeout)
    documents.write(DEADLINE, {"deadline": deadline, "timeout": float(timeout), "fixed_at": started})
    return deadline
