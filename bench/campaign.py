"""A 200-customer certified campaign against the sandbox at LegallyMail's real limit (10 requests per 60 s).

The pipeline our users run (``example_dags/example_certified_campaign.py``), with the provider's defaults, as
one real DAG run (``airflow dags test`` on a throwaway Airflow home; deferred tasks run their triggers inline):

1. ``CertifiedMailMergeOperator``: one personalized certified email per row of a 200-row CSV (own subject and
   body), two of whose addresses hard-bounce (the sandbox bounces an address tagged ``+bounce``);
2. ``CertifiedEmailSensor(target="settled", settle_on="delivered", max_failures=2)`` on the merge's result;
3. ``ArchiveEvidenceOperator`` archiving the certificates from the wait's result (no status read);
4. a report task reading the wait's outcome from XCom (no request).

The sandbox answers 429 past 10 requests per ``--rate-window`` real seconds (default 60: the real limit);
the connection keeps the provider's default client budget of 10 requests per window. ``--rate-window 6``
runs ten times faster for a quick check (its figures are labelled so). Printed: API requests by kind and by
task, downloads, 429s, each task's time, the end-to-end time, and two ratios:

- the issue's: end-to-end time / (sends / 10 per minute + the outcomes' own delays);
- against the bound of the requests the API forces: a POST per row, the credit check, and one
  ``GET /api/email`` per email once its outcome is final (only it gives the certificates and their hashes
  the archive needs), at 10 per minute, plus the outcomes' delays.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROWS = 200
BOUNCES = (57, 143)  # the rows whose address hard-bounces
DAG_ID = "bench_campaign"
TASKS = ("merge", "settled", "archive", "report")
DAG_FILE = """
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.contracts import OUTCOME_XCOM_KEY
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
    merge = CertifiedMailMergeOperator(
        task_id="merge",
        rows={rows!r},
        key_column="customer_id",
        subject="Your annual statement, {{{{ customer_id }}}}",
        html="<p>Dear {{{{ name }}}},</p><p>your balance is {{{{ balance }}}} EUR.</p>",
    )
    settled = CertifiedEmailSensor(
        task_id="settled",
        tracking_id=merge.output,
        target="settled",
        settle_on="delivered",
        max_failures=2,
        timeout=timedelta(hours=3),
    )
    archive = ArchiveEvidenceOperator(task_id="archive", evidence=settled.output, destination={evidence!r})

    @task(trigger_rule="all_done")
    def report(ti: Any = None) -> dict[str, Any]:
        outcome = ti.xcom_pull(task_ids="settled", key=OUTCOME_XCOM_KEY)
        return {{
            "outcome": outcome["outcome"],
            "delivered": len(outcome["reached"]),
            "failed": sorted(f["who"] for f in outcome["failures"]),
        }}

    merge >> settled >> archive >> report()
"""


def write_rows(path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "email", "name", "balance"])
        for i in range(ROWS):
            email = f"customer{i}+bounce@example.com" if i in BOUNCES else f"customer{i}@example.com"
            writer.writerow([f"C{i:04d}", email, f"Customer {i}", f"{i * 7.5:.2f}"])


def kind_of(entry: dict[str, Any]) -> str:
    method, path = entry["method"], entry["path"]
    if not path.startswith("/api/"):
        return "download"
    return f"{method} {path}"


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def task_windows(dag_id: str) -> dict[str, tuple[float, float, str]]:
    """task_id -> (start, end, state) of the DAG's latest run, from Airflow's metadata database."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag_id)).all()
        return {
            ti.task_id: (ti.start_date.timestamp(), ti.end_date.timestamp(), str(ti.state))
            for ti in rows
            if ti.start_date is not None and ti.end_date is not None
        }


def by_task(requests: list[dict[str, Any]], windows: dict[str, tuple[float, float, str]]) -> dict[str, Counter[str]]:
    """Requests by task (the task whose run spanned the request's arrival) and by kind."""
    counts: dict[str, Counter[str]] = {task: Counter() for task in (*TASKS, "(between tasks)")}
    for entry in requests:
        at = seconds(entry["time"])
        inside = [t for t, (start, end, _) in windows.items() if start <= at <= end]
        near = [t for t, (start, end, _) in windows.items() if start - 0.5 <= at <= end + 0.5]
        task = (inside or near or ["(between tasks)"])[0]
        counts.setdefault(task, Counter())[kind_of(entry)] += 1
    return counts


def airflow(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise SystemExit(f"airflow {' '.join(args)} failed:\n{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rate-window",
        type=float,
        default=float(os.environ.get("BENCH_CAMPAIGN_RATE_WINDOW", "60")),
        help="real seconds per 10 requests (default 60, the real limit; env BENCH_CAMPAIGN_RATE_WINDOW)",
    )
    parser.add_argument("--keep", type=Path, help="keep the Airflow home, logs and the request log here")
    options = parser.parse_args()
    window = options.rate_window
    work = Path(tempfile.mkdtemp(prefix="bench-campaign-")) if options.keep is None else options.keep.resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "dags").mkdir(parents=True)
    os.environ.update(AIRFLOW_HOME=str(work / "airflow"), AIRFLOW__CORE__DAGS_FOLDER=str(work / "dags"))

    from legallymail_sandbox.config import SandboxConfig  # imports the provider: Airflow's home set first
    from legallymail_sandbox.server import SandboxServer

    rows, evidence = work / "customers.csv", work / "evidence"
    write_rows(rows)
    (work / "dags" / f"{DAG_ID}.py").write_text(DAG_FILE.format(dag_id=DAG_ID, rows=str(rows), evidence=str(evidence)))
    config = SandboxConfig(credits=10 * ROWS, rate_window=window)  # its clock in real time, as the task times
    log = work / "airflow.log"
    with SandboxServer(config) as sandbox:
        env = {
            **os.environ,
            **sandbox.connection_env(),  # the provider's defaults: a budget of 10 requests per window
            "AIRFLOW_HOME": str(work / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(work / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(work / "state"),
            "PYTHONPATH": str(ROOT),
        }
        airflow(["db", "migrate"], env, log)
        print(f"{ROWS}-row campaign, sandbox limit 10 requests per {window:g} s, real DAG run (airflow dags test)")
        sys.stdout.flush()
        started = time.time()
        airflow(["dags", "test", DAG_ID], env, log)
        elapsed = time.time() - started
        requests = sandbox.received(api="legallymail")
        (work / "requests.json").write_text(json.dumps(requests))
    windows = task_windows(DAG_ID)
    report(requests, windows, elapsed, window, config.delivered_after)
    if options.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def report(
    requests: list[dict[str, Any]],
    windows: dict[str, tuple[float, float, str]],
    elapsed: float,
    window: float,
    outcome_delay: float,
) -> None:
    scale = "" if window == 60.0 else f" (rate window {window:g} s, {60 / window:g}x the real limit: a quick check)"
    refused = sum(1 for r in requests if r.get("status") == 429)
    answered = [r for r in requests if r.get("status") != 429]
    kinds = Counter(kind_of(r) for r in answered)
    tasks = by_task(answered, windows)
    print(f"Tasks{scale}:")
    for task in TASKS:
        start, end, state = windows.get(task, (0.0, 0.0, "not run"))
        print(f"  {task:<9} {state:<8} {end - start:8.1f} s  {dict(sorted(tasks[task].items()))}")
    if tasks["(between tasks)"]:
        print(f"  between tasks: {dict(tasks['(between tasks)'])}")
    print(f"API requests by kind: {dict(sorted(kinds.items()))}; answered 429: {refused}")
    api = sum(n for k, n in kinds.items() if k != "download")
    sends = kinds["POST /api/send"]
    detail_reads = ROWS  # one GET /api/email per email once final: its certificates and their hashes
    per_request = window / 10
    issue_bound = sends * per_request + outcome_delay
    forced_bound = (sends + 1 + detail_reads) * per_request + outcome_delay
    print(
        f"End to end {elapsed:.0f} s ({elapsed / 60:.1f} min){scale}; {api} API requests "
        f"({api * per_request / 60:.1f} min of budget at 10 per {window:g} s), {kinds['download']} downloads"
    )
    print(
        f"  issue's bound (sends / 10 per window + outcome delay {outcome_delay:.0f} s): {issue_bound:.0f} s -> "
        f"ratio {elapsed / issue_bound:.2f}"
    )
    print(
        f"  bound with the requests the API forces ({sends} POST + 1 credit check + {detail_reads} GET /api/email "
        f"for the certificates): {forced_bound:.0f} s -> ratio {elapsed / forced_bound:.2f}"
    )
    archive_api = sum(n for k, n in tasks["archive"].items() if k != "download")
    print(f"  archive: {archive_api} API requests, {tasks['archive']['download']} downloads")


if __name__ == "__main__":
    main()
