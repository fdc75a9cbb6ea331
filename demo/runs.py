"""What one DAG run did, read back from Airflow's metadata database, and printed as a short summary.

``read_run`` takes the latest run of a DAG (the one ``airflow dags test`` just made): its state, and per task
instance its state, try number and returned XCom. ``summary_lines`` prints that with the XCom's ids, counts
and statuses (scalars and short lists or maps; long nested parts such as per-batch details are left out),
the status each recipient or signer reached when the task waited (a sensor, or ``wait_for=``), and for each
archive of ``ArchiveEvidenceOperator`` its files and whether ``verify_archive`` finds them intact.
Airflow is imported inside the functions: the caller sets ``AIRFLOW_HOME`` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCALARS = (str, int, float, bool)
MAX_ITEMS = 5
RECORD_FIELDS = 4


@dataclass
class TaskResult:
    task_id: str
    map_index: int
    state: str
    try_number: int
    returned: Any = None

    @property
    def name(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    state: str
    tasks: list[TaskResult] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    def count(self, state: str) -> int:
        return sum(1 for task in self.tasks if task.state == state)


def parse_dags(folder: str) -> Any:
    """Airflow's DagBag of ``folder`` (examples of Airflow itself off: ``AIRFLOW__CORE__LOAD_EXAMPLES=False``)."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag(folder)


def read_run(dag_id: str, run_id: str | None = None) -> RunResult | None:
    """The run ``run_id`` of ``dag_id`` (default: its latest), or None when the DAG never ran."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(DagRun).where(DagRun.dag_id == dag_id)
        query = query.where(DagRun.run_id == run_id) if run_id else query.order_by(DagRun.id.desc())
        dag_run = session.scalars(query.limit(1)).first()
        if dag_run is None:
            return None
        result = RunResult(dag_id, dag_run.run_id, str(dag_run.state))
        instances = session.scalars(
            select(TaskInstance)
            .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == dag_run.run_id)
            .order_by(TaskInstance.start_date, TaskInstance.task_id, TaskInstance.map_index)
        )
        for ti in instances:
            row = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == dag_id,
                    XComModel.run_id == dag_run.run_id,
                    XComModel.task_id == ti.task_id,
                    XComModel.map_index == ti.map_index,
                    XComModel.key == "return_value",
                )
            ).first()
            returned = None if row is None else XComModel.deserialize_value(row)
            result.tasks.append(TaskResult(ti.task_id, ti.map_index, str(ti.state), ti.try_number, returned))
        return result


def _short(value: Any) -> str | None:
    """A scalar, or a short list / map of scalars (or of short lists), as one line; None for anything else."""
    if value is None or isinstance(value, SCALARS):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(item, SCALARS) for item in value):
        more = f", ... ({len(value)} in all)" if len(value) > MAX_ITEMS else ""
        return ", ".join(str(item) for item in value[:MAX_ITEMS]) + more
    if isinstance(value, dict) and value:
        parts = {key: _short(item) for key, item in value.items()}
        if all(part is not None for part in parts.values()):
            return "; ".join(f"{key}: {part}" for key, part in parts.items())
    return None


def wait_line(outcome: dict[str, Any]) -> str:
    """What a wait reached: ``read reached: ana@example.com read, bob@example.com read``."""
    parties = outcome.get("recipients") or outcome.get("signers") or []
    who = ", ".join(f"{party.get('who')} {party.get('status')}" for party in parties if isinstance(party, dict))
    return f"{outcome.get('target')} {outcome.get('outcome')}" + (f": {who}" if who else "")


def archive_lines(archives: list[Any]) -> list[str]:
    """Per archive: what was kept where, and whether its manifest still verifies (``verify_archive``)."""
    from airflow_provider_legallymail.evidence.manifest import verify_archive

    lines = []
    for archive in archives:
        files = ", ".join(sorted(archive.get("files") or {}))
        report = verify_archive(archive["location"])
        verdict = "verified" if report.ok else f"NOT verified: {report.to_text().splitlines()[-1]}"
        lines.append(f"archived {archive['kind']} {archive['id']} ({archive['status']}): {files}")
        lines.append(f"  in {archive['location']}, {verdict}")
    return lines


def _records(records: list[dict[str, Any]]) -> list[str]:
    """A list of records (an event payload per contract, a line per archive): the first few scalar fields of
    each, one line per record."""
    lines = []
    for record in records[:MAX_ITEMS]:
        scalars = [f"{key} {value}" for key, value in record.items() if isinstance(value, SCALARS)]
        lines.append(", ".join(scalars[:RECORD_FIELDS]) + (", ..." if len(scalars) > RECORD_FIELDS else ""))
    if len(records) > MAX_ITEMS:
        lines.append(f"... ({len(records)} in all)")
    return lines


def returned_lines(returned: Any) -> list[str]:
    """The ids, counts and statuses of a task's XCom: its scalars on one line, then one line per list or map;
    what a wait reached and what an archive kept, with its verification."""
    if returned is None:
        return []
    if isinstance(returned, list) and returned and all(isinstance(item, dict) for item in returned):
        return _records(returned)
    if not isinstance(returned, dict):
        shown = _short(returned)
        return [shown] if shown is not None else []
    scalars = [f"{key} {value}" for key, value in returned.items() if isinstance(value, SCALARS)]
    lines = [", ".join(scalars)] if scalars and "outcome" not in returned else []
    for key, value in returned.items():
        if key == "documents":  # a wait's document URLs: the archive's line says what was kept
            continue
        shown = None if value is None or isinstance(value, SCALARS) else _short(value)
        if shown:
            lines.append(f"{key}: {shown}")
    if "outcome" in returned:
        lines.append(wait_line(returned))
    if isinstance(returned.get("wait"), dict):
        lines.append("waited: " + wait_line(returned["wait"]))
    if isinstance(returned.get("archives"), list):
        lines += archive_lines(returned["archives"])
    return lines


def summary_lines(result: RunResult, seconds: float | None = None) -> list[str]:
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    lines = [f"{result.dag_id}: {result.state}{took} (run {result.run_id})"]
    width = max((len(task.name) for task in result.tasks), default=0)
    for task in result.tasks:
        lines.append(f"  {task.name:<{width}}  {task.state} (try {task.try_number})")
        lines += [f"  {'':<{width}}    {line}" for line in returned_lines(task.returned)]
    return lines
