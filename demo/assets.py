"""Run an Asset-scheduled DAG with ``dag.test()``, fed its asset events as the scheduler would feed them.

``airflow dags test`` starts a manual run with no asset events, so a DAG scheduled on an Asset would see an
empty ``triggering_asset_events``. Here the run is created by ``dag.test()`` too, and

- the events an ``AssetWatcher``'s trigger fired (collected by ``demo.watchers``) are first stored as asset
  events, as the triggerer's ``Trigger.submit_event`` stores them (``extra={"from_trigger": True,
  "payload": ...}``);
- the events of the DAG's assets that no run of it consumed yet are attached to it, as the scheduler
  attaches them to the run it starts.

``python -m demo.assets <dag_id> [<trigger events JSON: asset name -> payloads>]`` (``make demo`` runs it
after the producers; the dags folder and ``AIRFLOW_HOME`` come from the environment); ``tests/`` call
``run_with_asset_events``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TriggerEvents = dict[str, list[dict[str, Any]]]
"""Asset name -> the payloads its watcher's trigger fired, in order."""


def assets_of(condition: Any) -> list[Any]:
    """The assets of an asset condition (an Asset, or an AssetAll / AssetAny of conditions)."""
    if isinstance(getattr(condition, "uri", None), str):
        return [condition]
    return [asset for part in getattr(condition, "objects", ()) for asset in assets_of(part)]


def asset_uris(dag: Any) -> list[str]:
    """The URIs of the assets ``dag`` is scheduled on; empty for a DAG on a time schedule."""
    return sorted({asset.uri for asset in assets_of(getattr(dag.timetable, "asset_condition", None))})


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


def submit_trigger_events(events: TriggerEvents, session: Any) -> None:
    """Store each payload as an event of its asset, as ``Trigger.submit_event`` does for a watcher."""
    from airflow.assets.manager import AssetManager
    from airflow.models.asset import AssetModel
    from sqlalchemy import select

    for name, payloads in events.items():
        asset = session.scalars(select(AssetModel).where(AssetModel.name == name)).one()
        public = asset.to_serialized() if hasattr(asset, "to_serialized") else asset.to_public()  # 3.1
        for body in payloads:
            extra = {"from_trigger": True, "payload": body}
            AssetManager.register_asset_change(asset=public, extra=extra, session=session)
    session.flush()


@contextmanager
def events_attached(dag_id: str, uris: list[str], trigger_events: TriggerEvents | None = None) -> Iterator[None]:
    """While active, a run of ``dag_id`` created by ``dag.test()`` first stores ``trigger_events`` (the DAG
    and its assets are in the database by then), then consumes the pending events of ``uris``."""
    from airflow.models import dagrun

    original = dagrun.get_or_create_dagrun

    def with_events(*args: Any, **kwargs: Any) -> Any:
        if trigger_events and kwargs["dag"].dag_id == dag_id:
            submit_trigger_events(trigger_events, kwargs["session"])
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


def run_with_asset_events(dag: Any, trigger_events: TriggerEvents | None = None, **test_kwargs: Any) -> Any:
    """``dag.test(**test_kwargs)`` with ``trigger_events`` stored and the asset events not consumed yet
    attached; returns the DagRun."""
    with events_attached(dag.dag_id, asset_uris(dag), trigger_events):
        return dag.test(**test_kwargs)


def main(dag_id: str, trigger_events_file: str | None = None) -> int:
    from airflow.configuration import conf

    from demo.runs import parse_dags

    dag = parse_dags(conf.get("core", "dags_folder")).dags[dag_id]
    events = json.loads(Path(trigger_events_file).read_text()) if trigger_events_file else None
    dag_run = run_with_asset_events(dag, events)
    return 0 if str(dag_run.state) == "success" else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
