"""Run DAGs through Airflow itself (``dag.test()``): write the DAG file into the dags folder, run, read back."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pendulum

DAGS_FOLDER = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
HEADER = """
from __future__ import annotations
import pendulum
from airflow.sdk import DAG, task
from airflow_provider_legallymail.operators.legallymail import (
    SendCertifiedEmailOperator, SignatureRequestOperator, SmsOperator,
)
"""


def load_dag(dag_id: str, body: str, files: dict[str, str] | None = None) -> Any:
    """Write ``<dag_id>.py`` (header + body, which must define ``dag``) and import it."""
    for name, text in (files or {}).items():
        (DAGS_FOLDER / name).write_text(text)
    path = DAGS_FOLDER / f"{dag_id}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return _import_dag(path, f"testdag_{dag_id}")


def _import_dag(path: Path, module_name: str) -> Any:
    """Import the DAG file at ``path`` as ``module_name`` (kept in ``sys.modules``); its ``dag``."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.dag


def _serialize_dags_folder() -> None:
    """What ``airflow dags reserialize`` does; Airflow 3.2+ does it inside ``dag.test()``, 3.1 does not. The
    folder holds the DAGs of the running test (``tests/conftest.py`` removes each test's files after it)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.models.dagbag import DagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    with create_session() as session:
        manager = DagBundlesManager()
        manager.sync_bundles_to_db(session=session)
        session.commit()
        for bundle in manager.get_all_dag_bundles():
            bundle.initialize()
            bag = DagBag(bundle.path, bundle_path=bundle.path, include_examples=False)
            sync_bag_to_db(bag, bundle.name, bundle_version=bundle.get_current_version(), session=session)


def run(dag: Any, **conf: Any) -> Any:
    """One DAG run (retries run inline); returns the DagRun."""
    import airflow

    if tuple(int(part) for part in airflow.__version__.split(".")[:2]) < (3, 2):
        _serialize_dags_folder()
    return dag.test(logical_date=pendulum.now("UTC"), run_conf=conf or None)


def states(dag_run: Any) -> dict[str, tuple[str, int]]:
    """task_id[map_index] -> (state, try_number)."""
    out = {}
    for ti in dag_run.get_task_instances():
        name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        out[name] = (str(ti.state), ti.try_number)
    return out


def xcom(dag_run: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalar(
            select(XComModel).where(
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.task_id == task_id,
                XComModel.key == key,
                XComModel.map_index == map_index,
            )
        )
        return None if row is None else XComModel.deserialize_value(row)


SNIPPETS = Path(__file__).resolve().parents[1] / "docs" / "snippets"


def load_snippet(name: str, replace: dict[str, str] | None = None) -> Any:
    """Import ``docs/snippets/<name>.py`` (a DAG file the docs include) and return its ``dag``.

    ``replace`` swaps literal text before import (``{"/path/to/contract.pdf": str(pdf)}``), as a reader would
    fill in their own values; the file on disk, which the docs show, stays as it is.
    """
    source = (SNIPPETS / f"{name}.py").read_text()
    for old, new in (replace or {}).items():
        assert old in source, f"docs/snippets/{name}.py does not contain {old!r}"
        source = source.replace(old, new)
    path = DAGS_FOLDER / f"snippet_{name}.py"
    path.write_text(source)
    return _import_dag(path, f"snippet_{name}")


def snippet_text(name: str) -> str:
    """The text of ``docs/snippets/<name>`` (a configuration file the docs include), for a test to load."""
    return (SNIPPETS / name).read_text()


EXCEPTION_LINE = re.compile(r"^\s*[\w.]*(Error|Exception|Timeout|Exit)\b[\w.]*: .*$", re.MULTILINE)


def raised(output: str) -> list[str]:
    """The ``SomeError: message`` lines of the tracebacks in a run's captured output, for a failure message."""
    return list(dict.fromkeys(match.group(0).strip() for match in EXCEPTION_LINE.finditer(output)))
