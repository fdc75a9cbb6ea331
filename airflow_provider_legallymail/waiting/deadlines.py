"""The absolute deadline of a wait, fixed at the first try and read back by every later try.

Airflow restarts a sensor's ``timeout`` (and ``defer(timeout=)``) at every try and every deferral, so a
wait that is retried or re-deferred would wait longer than asked. The first try writes its deadline to a
small JSON document beside the send ledger (``<ledger_path>/<dag_id>/<run_id>/<task_id>[.<map_index>]
.deadline.json``); later tries, reschedules and re-deferrals use that one. Clearing a task keeps the
deadline, like it keeps the ledger: give the task a new ``timeout`` to wait afresh.
"""

from __future__ import annotations

import json
import time
from typing import Any

from airflow_provider_legallymail.storage import configured_location, location, segment


def _path(base: str | None, ti: Any) -> Any:
    map_index = getattr(ti, "map_index", -1)
    name = segment(ti.task_id) + (f".{map_index}" if map_index is not None and map_index >= 0 else "")
    root = base or configured_location("ledger_path", "ledger")
    return location(root, segment(ti.dag_id), segment(ti.run_id), f"{name}.deadline.json")


def fixed_deadline(ti: Any, timeout: float, *, base: str | None = None, now: float | None = None) -> float:
    """Epoch seconds: ``first try's start + timeout``, the same for every try of this task instance.

    A document written for another ``timeout`` is replaced: changing the timeout starts a new wait.
    """
    path = _path(base, ti)
    try:
        if path.exists():
            stored = json.loads(path.read_text())
            if float(stored.get("timeout", -1)) == float(timeout):
                return float(stored["deadline"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # unreadable: fix it again from now
    started = time.time() if now is None else now
    deadline = started + float(timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"deadline": deadline, "timeout": float(timeout), "fixed_at": started}))
    return deadline
