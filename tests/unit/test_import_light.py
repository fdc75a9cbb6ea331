"""DAG files import the operators, sensors, triggers and notifiers on every parse: what that may load.

Those modules import at their top only what is light; anything that loads one of ``RUNNING_MACHINERY`` (the
hooks, the API models and client, the pollers, the Legitmailer workers, the archiver) is imported inside the
method that needs it. This test is the list of why an import stays inside a method.
"""

from __future__ import annotations

import json
import subprocess
import sys

NAME = "airflow_provider_legallymail"
DAG_FACING = (
    f"{NAME}.operators.legallymail",
    f"{NAME}.operators.legitmailer",
    f"{NAME}.operators.evidence",
    f"{NAME}.operators.mail_merge",
    f"{NAME}.sensors.legallymail",
    f"{NAME}.triggers.legallymail",
    f"{NAME}.notifications.legallymail",
)
THIRD_PARTY_HEAVY = ("requests", "urllib3", "fastapi", "uvicorn", "legallymail_sandbox", "sqlite3")
RUNNING_MACHINERY = tuple(
    f"{NAME}.{m}"
    for m in (
        "hooks.legallymail",
        "hooks.legitmailer",
        "hooks.base",
        "models.legallymail",
        "models.legitmailer",
        "client.transport",
        "client.settings",
        "client.budget",
        "client.answers",
        "waiting.poller",
        "waiting.event_source",
        "legitmailer.template_batches",
        "legitmailer.contact_sync",
        "legitmailer.single_send",
        "evidence.archive",
        "evidence.collect",
        "delivery.lost_sends",
    )
)


def _loaded_by(modules: tuple[str, ...]) -> list[str]:
    child = (
        "import json, sys, airflow.sdk\nbefore = set(sys.modules)\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def test_importing_every_dag_facing_module_loads_neither_requests_nor_the_sandbox() -> None:
    loaded = _loaded_by(DAG_FACING)
    assert set(DAG_FACING) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] in THIRD_PARTY_HEAVY] == []


# The event triggers check their statuses when the DAG is parsed, with the waiting side's pure decision, which
# reads the API's models: they may load those, never the poller, a hook or the client.
PARSE_TIME_CHECKS = {f"{NAME}.triggers.legallymail": (f"{NAME}.models.legallymail", f"{NAME}.evidence.collect")}


def test_no_dag_facing_module_loads_the_machinery_only_a_running_task_needs() -> None:
    for module in DAG_FACING:
        loaded = _loaded_by((module,))
        allowed = PARSE_TIME_CHECKS.get(module, ())
        machinery = [m for m in loaded if m.startswith(RUNNING_MACHINERY) and not m.startswith(allowed)]
        assert machinery == [], f"importing {module} loads {machinery}: import them inside the method"
