"""Run every example DAG of ``example_dags/`` with ``airflow dags test`` against the sandbox, and summarise.

``python -m demo.examples`` (the second half of ``make demo``):

1. makes a throwaway Airflow home under ``.demo/`` (removed and recreated each time) and migrates its
   SQLite metadata database (``airflow db migrate``);
2. starts the sandbox in this process, its clock running ``EXAMPLE_SPEED`` times faster than real time,
   and points ``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT`` / ``AIRFLOW_CONN_LEGITMAILER_DEFAULT`` at it;
3. finds the DAGs in ``example_dags/`` (Airflow's DagBag: a new example file is picked up with no change
   here; an import error fails the demo) and runs each with ``airflow dags test <dag_id>`` in a subprocess
   (deferred tasks run their triggers inline; the connection's ``sandbox_speed`` extra tells the waits'
   poller the sandbox's clock speed), its log in ``.demo/logs/<dag_id>.log``. The ``AssetWatcher``
   triggers of the examples run in this process meanwhile, as a triggerer runs them (``demo.watchers``),
   started before the DAGs whose outcomes they watch. DAGs scheduled on an Asset run last, with
   ``dag.test()`` fed the events the watchers fired and the asset events the others emitted
   (``demo.assets``: ``airflow dags test`` would give them none);
4. prints what each watcher fired, what each run did (task states, tries, the ids, counts and statuses
   each task returned, the statuses the waits reached, the evidence archived and whether it verifies) and
   a final table. The exit status is 1 if any DAG did not succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from demo.assets import asset_uris
from demo.runs import RunResult, parse_dags, read_run, summary_lines
from demo.watchers import Watchers, asset_watchers
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parents[1]
EXAMPLES_FOLDER = REPO / "example_dags"
DEMO_HOME = REPO / ".demo"
# Sandbox seconds per real second: a read after 30 s takes 0.25 s, a signature after 60 s takes 0.5 s.
EXAMPLE_SPEED = 120.0
AIRFLOW = Path(sys.executable).with_name("airflow")
TRIGGER_EVENTS = DEMO_HOME / "trigger-events.json"
WATCH_QUIET = 3.0  # real seconds for the watchers to look again (a list read is 0.25 s at x120, a ledger scan 2.5 s)


def airflow_env(home: Path, sandbox: SandboxServer) -> dict[str, str]:
    """The environment of the Airflow commands: the throwaway home, the example DAGs, the sandbox."""
    return {
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLES_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "LEGALLYMAIL_PROVIDER_STATE_DIR": str(home / "state"),
        # The examples are not about rate limits (the tour shows them): no client-side budget to wait for.
        **sandbox.connection_env(requests_per_minute=0),
    }


def example_dags(folder: Path = EXAMPLES_FOLDER) -> dict[str, Any]:
    """dag_id -> DAG of each DAG defined in ``folder``, parsed by Airflow; raises if any file fails to import."""
    bag = parse_dags(str(folder))
    if bag.import_errors:
        details = "\n".join(f"{path}:\n{error}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"example DAGs that do not import:\n{details}")
    return dict(bag.dags)


def run_order(dags: dict[str, Any]) -> list[tuple[str, bool]]:
    """(dag_id, scheduled on an Asset), those scheduled on an Asset last (after the DAGs that cause their
    events)."""
    return sorted(((dag_id, bool(asset_uris(dag))) for dag_id, dag in dags.items()), key=lambda x: (x[1], x[0]))


def run_airflow(args: list[str], log: Path) -> float:
    """Run ``airflow <args>`` (or, for ``--asset-events <dag_id> <file>``, ``python -m demo.assets``), its
    output to ``log``; returns the seconds it took. Raises on failure."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    asset_run = args[:1] == ["--asset-events"]
    command = [sys.executable, "-m", "demo.assets", *args[1:]] if asset_run else [str(AIRFLOW), *args]
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False, cwd=REPO)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"airflow {' '.join(args)} exited with {done.returncode}; end of {log}:\n{tail}")
    return time.monotonic() - started


def run_example(dag_id: str, logs: Path, on_assets: bool = False) -> tuple[RunResult, float]:
    """``airflow dags test <dag_id>`` (``on_assets``: ``dag.test()`` with the watchers' events stored and the
    pending asset events attached), then what the run did. A run that did not finish counts as failed."""
    log = logs / f"{dag_id}.log"
    started = time.monotonic()
    asset_run = ["--asset-events", dag_id, str(TRIGGER_EVENTS)]
    try:
        run_airflow(asset_run if on_assets else ["dags", "test", dag_id], log)
    except RuntimeError as exc:
        print(exc)
    seconds = time.monotonic() - started
    result = read_run(dag_id) or RunResult(dag_id, "-", "not run")
    return result, seconds


def watching_lines(watchers: Watchers) -> str:
    """What each AssetWatcher watches and, once settled, the events it fired."""
    lines = []
    for name, trigger in watchers.watchers:
        fired = watchers.events[name]
        counts = ", ".join(f"{n} {s}" for s, n in sorted(Counter(p["status"] for p in fired).items())) or "none yet"
        lines.append(f"AssetWatcher on {name}: {type(trigger).__name__}{trigger.statuses}, events fired: {counts}")
        lines += [f"  {p['kind']} {p['id']} {p['status']} at {p['reached_at']}" for p in fired]
    return "\n".join(lines)


def final_table(rows: list[tuple[RunResult, float]]) -> list[str]:
    width = max([len("DAG"), *(len(result.dag_id) for result, _ in rows)])
    lines = [f"{'DAG':<{width}}  {'run':<8}  {'tasks ok':<8}  time"]
    for result, seconds in rows:
        tasks = f"{result.count('success')}/{len(result.tasks)}"
        lines.append(f"{result.dag_id:<{width}}  {result.state:<8}  {tasks:<8}  {seconds:5.1f} s")
    return lines


def main() -> int:
    started = time.monotonic()
    shutil.rmtree(DEMO_HOME, ignore_errors=True)
    logs = DEMO_HOME / "logs"
    with SandboxServer(SandboxConfig(speed=EXAMPLE_SPEED, rate_limit=0)) as sandbox:
        os.environ.update(airflow_env(DEMO_HOME, sandbox))  # before Airflow is imported in this process
        print(f"\nExample DAGs: sandbox at {sandbox.url} (clock x{EXAMPLE_SPEED:g}), Airflow home {DEMO_HOME}")
        migrate = run_airflow(["db", "migrate"], logs / "db-migrate.log")
        print(f"airflow db migrate: {migrate:.1f} s")
        dags = example_dags()
        order = run_order(dags)
        names = ", ".join(dag_id for dag_id, _ in order)
        print(f"{len(order)} example DAGs in {EXAMPLES_FOLDER.relative_to(REPO)}/: {names}\n")
        rows = []
        with Watchers(asset_watchers(dags.values())) as watchers:
            watchers.wait_ready()
            print(watching_lines(watchers) + "\n")
            for dag_id, on_assets in order:
                if on_assets and not TRIGGER_EVENTS.exists():  # the producers are done: the watchers' events
                    watchers.settle(quiet=WATCH_QUIET)
                    TRIGGER_EVENTS.write_text(json.dumps(watchers.events))
                    print(watching_lines(watchers) + "\n")
                result, seconds = run_example(dag_id, logs, on_assets=on_assets)
                print("\n".join(summary_lines(result, seconds)) + "\n")
                rows.append((result, seconds))
    print("\n".join(final_table(rows)))
    failed = [result.dag_id for result, _ in rows if not result.succeeded]
    total = time.monotonic() - started
    if failed:
        print(f"\n{len(failed)} example DAG(s) did not succeed: {', '.join(failed)} (logs in {logs})")
        return 1
    print(f"\nAll {len(rows)} example DAGs succeeded in {total:.0f} s (logs in {logs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
