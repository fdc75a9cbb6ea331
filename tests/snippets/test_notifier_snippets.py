"""The notifier pages' DAGs (docs/snippets/notifier_*.py) against the sandbox: a callback sends one certified
email or SMS, templated from its context, and a second firing of the same callback sends nothing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_snippet, run, states

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")


def sent(sandbox: SandboxServer, path: str) -> list[dict[str, Any]]:
    return [request["json"] for request in sandbox.received(api="legallymail", method="POST", path=path)]


def firing(dag: Any, dag_run: Any, task_id: str | None, try_number: int = 1) -> dict[str, Any]:
    """A callback's context as Airflow gives it (the task instance's, or the DAG run's when ``task_id`` is None)."""
    context: dict[str, Any] = {"dag": dag, "dag_run": dag_run, "run_id": dag_run.run_id}
    context["ds"] = f"{dag_run.logical_date:%Y-%m-%d}"
    if task_id is not None:
        context["ti"] = context["task_instance"] = SimpleNamespace(task_id=task_id, map_index=-1, try_number=try_number)
    return context


def test_a_failed_task_sends_one_certified_email_rendered_from_its_context(sandbox: SandboxServer) -> None:
    dag_run = run(load_snippet("notifier_certified_email"))  # /path/to/export.csv does not exist: it fails
    assert states(dag_run) == {"export": ("failed", 1)}
    assert sent(sandbox, "/api/send") == [
        {
            "recipient": "legal@example.com, ops@example.com",
            "subject": f"export failed for {dag_run.logical_date:%Y-%m-%d}",
            "message": f"<p>Run {dag_run.run_id}, try 1: the export did not complete.</p>",
        }
    ]


def test_the_dag_level_notifier_sends_the_completion_notice_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("id\n1\n2\n")
    dag = load_snippet("notifier_certified_email", {"/path/to/export.csv": str(export)})
    dag_run = run(dag)
    assert states(dag_run) == {"export": ("success", 1)}
    # dag.test() on Airflow 3.3 runs DAG callbacks on the serialized DAG, where no notifier can render its
    # templates; the dag processor gives them the DAG itself: fire it as it does, twice
    callbacks = dag.on_success_callback
    notifier = callbacks[0] if isinstance(callbacks, list) else callbacks
    notifier(firing(dag, dag_run, None))
    notifier(firing(dag, dag_run, None))
    assert [email["subject"] for email in sent(sandbox, "/api/send")] == [
        f"nightly_export completed for {dag_run.logical_date:%Y-%m-%d}"
    ]


def test_a_failed_task_pages_by_sms_once_per_failed_try(sandbox: SandboxServer) -> None:
    dag = load_snippet("notifier_sms", {'bank_total: str = "100.00"': 'bank_total: str = "99.00"'})
    dag_run = run(dag)
    assert states(dag_run) == {"reconcile": ("failed", 1)}
    ds = f"{dag_run.logical_date:%Y-%m-%d}"
    assert sent(sandbox, "/api/sms/send") == [
        {"phone": "+34600000001", "message": f"payments_reconciliation: reconcile failed for {ds} (try 1)."}
    ]
    (notifier,) = dag.get_task("reconcile").on_failure_callback
    notifier(firing(dag, dag_run, "reconcile"))  # Airflow fires the callback again for the same failed try
    assert len(sent(sandbox, "/api/sms/send")) == 1
    notifier(firing(dag, dag_run, "reconcile", try_number=2))  # another try's failure is another event
    assert len(sent(sandbox, "/api/sms/send")) == 2


def test_a_message_too_long_is_refused_before_any_request_and_the_task_state_stays_failed(
    sandbox: SandboxServer, capfd: pytest.CaptureFixture[str]
) -> None:
    long = "{{ dag.dag_id }}: " + "x" * 300
    dag = load_snippet(
        "notifier_sms",
        {
            'bank_total: str = "100.00"': 'bank_total: str = "99.00"',
            'message="{{ dag.dag_id }}: {{ ti.task_id }} failed for {{ ds }} (try {{ ti.try_number }}).",': (
                f'message="{long}",'
            ),
        },
    )
    dag_run = run(dag)
    assert states(dag_run) == {"reconcile": ("failed", 1)}
    assert sent(sandbox, "/api/sms/send") == []
    captured = capfd.readouterr()
    rendered = len("payments_reconciliation: ") + 300
    assert f"message: {rendered} characters; at most 300 allowed" in captured.out + captured.err  # logged by Airflow
