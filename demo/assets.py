"""Run an Asset-scheduled DAG with ``dag.test()``, fed the asset events it has not consumed yet.

``airflow dags test`` starts a manual run with no asset events, so a DAG scheduled on an Asset would see an
empty ``triggering_asset_events``. Here the run is created by ``dag.test()`` too, and the events of the
DAG's assets that no run of it consumed yet are attached to it, as the scheduler attaches them to the run
it starts. ``python -m demo.assets <dag_id>`` (``make demo`` runs it after the producers; the dags folder
and ``AIRFLOW_HOME`` come from the environment); ``tests/examples`` calls ``run_with_asset_events``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _uris(condition: Any) -> set[str]:
    """The URIs of the assets in an asset condition (an Asset, or an AssetAll / AssetAny of conditions)."""
    if isinstance(getattr(condition, "uri", None), str):
        return {condition.uri}
    return set().union(*(_uris(part) for part in getattr(condition, "objects", ())))


def asset_uris(dag: Any) -> list[str]:
    """The URIs of the assets ``dag`` is scheduled on; empty for a DAG on a time schedule."""
    return sorted(_uris(getattr(dag.timetable, "asset_condition", None)))


def pending_events_query(dag_id: str, uris: list[str]) -> Any:
    """The AssetEvent rows of ``uris`` that no run of ``dag_id`` consumed yet, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    return (
        select(AssetEvent)
        .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        .where(AssetModel.uri.in_(uris), ~AssetEvent.created_dagruns.any(DagRun.dag_id == dag_id))
        .order_by(AssetEvent.timestamp)
    )


@contextmanager
def events_attached(dag_id: str, uris: list[str]) -> Iterator[None]:
    """While active, a run of ``dag_id`` created by ``dag.test()`` consumes the pending events of ``uris``."""
    from airflow.models import dagrun

    original = dagrun.get_or_create_dagrun

    def with_events(*args: Any, **kwargs: Any) -> Any:
        run = original(*args, **kwargs)
        if run.dag_id == dag_id:
            session = kwargs["session"]
            run.consumed_asset_events.extend(session.scalars(pending_events_query(dag_id, uris)).all())
            session.commit()
        return run

    dagrun.get_or_create_dagrun = with_events  # type: ignore[assignment]
    try:
        yield
    finally:
        dagrun.get_or_create_dagrun = original  # type: ignore[assignment]


def run_with_asset_events(dag: Any, **test_kwargs: Any) -> Any:
    """``dag.test(**test_kwargs)`` with the asset events not consumed yet attached; returns the DagRun."""
    with events_attached(dag.dag_id, asset_uris(dag)):
        return dag.test(**test_kwargs)


def main(dag_id: str) -> int:
    from airflow.configuration import conf

    from demo.runs import parse_dags

    dag = parse_dags(conf.get("core", "dags_folder")).dags[dag_id]
    dag_run = run_with_asset_events(dag)
    return 0 if str(dag_run.state) == "success" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
