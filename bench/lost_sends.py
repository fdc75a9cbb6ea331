"""Lost sends at a rate: N certified-email tasks through real Airflow runs, against faults and the rate limit.

One DAG of N (default 200) ``SendCertifiedEmailOperator`` tasks, each to its own recipient with its own
subject, ``retries=3``, ``retry_delay=0``, run by ``dag.test()`` (Airflow's own task execution, retries
inline) in a child process, against the sandbox on a real-time clock (``speed=1``) in this process.

Faults on ``POST /api/send``. The sandbox's are deterministic: ``ratio`` r fires on a request when
``floor(seen * r)`` steps up, and the first matching fault that fires answers, so each fault sees only
what the ones before it let through. In the order they are added:

- an outage at the start: the first 3 sends answered 502, the next 4 answered 503 (more than the client's
  3 retries), so that a task fails its tries and Airflow's retries resolve it from the ledger;
- before commit, about 30% of the sends: 10% answered 502, 10% 503, 10% 504 (a status fault answers
  before the route runs, so nothing is committed). The client retries a 503 itself (refused before
  processing); a 502 or 504 is an ``OutcomeUnknownError``: the task waits until the attempt could no
  longer commit, looks it up, finds it absent and sends again in the same try ("lost then resent");
- after commit, 5% of the sends: the sandbox commits the email and drops the response
  (``drop_response``); the look-up must find it and adopt it ("adopted"), reported separately.

The ratios are 0.1, 0.1137, 0.1291 and 0.0713 rather than the exact 0.1, 1/9, 1/8 and 1/14: with those
the faults fall in lockstep (every 10 sends: 504, 503, 502 in a row, always within one task, and nothing
else), while these drift against each other and mix single, double and triple losses, losses followed
by a dropped answer, and clean tasks.

Rate limit. LegallyMail allows 10 requests per 60 s per IP; 200 sends plus retries and look-ups at that rate
take over half an hour, so time is scaled by 10. The client's budget cannot express a shorter window:
``requests_per_minute`` is its only extra and ``RequestBudget``'s window is the hook's fixed 60 s. So the
count is scaled instead of the window: the sandbox allows ``RATE_LIMIT`` = 100 requests per 60 s per IP
and the connection's budget is ``requests_per_minute=100``, the same 1:1 ratio of budget to limit as
production's 10 and 10. Bursts differ (100 requests may start at once where production allows 10), and
the timeouts are scaled down to match (below). The sandbox clock runs at ``speed=1``: the look-up maps the
attempt's start to the server's clock with an offset measured from the ``Date`` header of the list's own
answer; a faster sandbox clock would drift from that offset and open the window too late.

Timeouts: extras ``timeout=2``, ``settle_seconds=1``, so a lost send is looked up 3 s after its POST went
out. The look-up proves absence only while fewer than 25 sends fall between the attempt's start (less the
3 s clock tolerance) and the look-up, so a lost response is resolved rather than failing the task while
the account sends at most 25 / (timeout + settle_seconds + tolerance) per second: 25/63 s = 0.40/s with
the default extras, 2.4 times one host's 10 requests per minute; 25/6 s = 4.2/s here, 2.5 times the bench's
100 per minute. The bench keeps that margin (one host's sends per look-up window: about 10.5 in
production, 10 here).

``dag.test()`` runs one task at a time, so no other task sends while a try waits to look up its own lost
send: a same-try look-up meets only the sends of the few seconds before the attempt (the tolerance) and
the task's own. A try that fails (a third lost answer in one try, or a
503 outage that outlasts the client's retries) is retried only after every other runnable task has run,
so the later try's look-up spans most of the run: far more than 25 sends, and it fails safe (the task
fails, nothing is sent twice). A scheduler retries sooner, but every send on the account in between
counts the same way.

Printed: tasks succeeded / failed (and on which try), duplicates (sandbox emails per subject > 1), sends
provably lost then resent (a 502/504 attempt followed by a new POST of the same task after its look-up
proved absence), dropped answers adopted, look-ups that could not prove absence (tries failed with "does
not reach back far enough", also counted in the task log, and ledger units left in doubt), how many sends
fell inside each look-up's window (from the ledgers and the sandbox's creation times), 429s, wall time, the
observed send rate, and the fail-safe rate for the default extras and the bench's.

Usage: ``python bench/lost_sends.py [--n 200]`` (``make bench`` runs it with the defaults).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "lost_sends_bench"
RETRIES = 3
TIMEOUT = 2.0  # connection extra ``timeout`` (read timeout, seconds)
SETTLE = 1.0  # connection extra ``settle_seconds``
RATE_LIMIT = 100  # requests per RATE_WINDOW per IP in the sandbox, and the client's requests_per_minute
RATE_WINDOW = 60.0
CREDITS = 100_000
# (label, fault) on POST /api/send, in the order they are added (see the docstring).
FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("outage, 3 x 502", {"status": 502, "count": 3}),
    ("outage, 4 x 503", {"status": 503, "count": 4}),
    ("502, ~10%", {"status": 502, "ratio": 0.1}),
    ("503, ~10%", {"status": 503, "ratio": 0.1137}),
    ("504, ~10%", {"status": 504, "ratio": 0.1291}),
    ("dropped after commit, ~5%", {"drop_response": True, "ratio": 0.0713}),
)
NOT_REACHING_BACK = "does not reach back far enough"
DEFAULT_TIMEOUT = 30.0
DEFAULT_SETTLE = 30.0

DAG_FILE = '''
from __future__ import annotations

import json
import os
import time

import pendulum
from airflow.sdk import DAG

from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator

N = int(os.environ["LOST_SENDS_N"])


def record_failure(context):
    """Keep why each try failed (what the task log says), for the bench to count."""
    ti = context["ti"]
    error = repr(context.get("exception"))
    line = {"task_id": ti.task_id, "try": ti.try_number, "at": time.time(), "error": error}
    with open(os.environ["LOST_SENDS_FAILURES"], "a") as handle:
        handle.write(json.dumps(line) + "\\n")


with DAG(
    "__DAG_ID__",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1),
    default_args={
        "retries": __RETRIES__,
        "retry_delay": pendulum.duration(seconds=0),
        "on_failure_callback": record_failure,
        "on_retry_callback": record_failure,
    },
) as dag:
    for i in range(N):
        SendCertifiedEmailOperator(
            task_id=f"send_{i:04d}",
            recipients=f"person{i:04d}@example.com",
            subject=f"Bench notice {i:04d}",
            html="<p>Your certified notice.</p>",
        )
'''


# -- child side: the DAG run ----------------------------------------------------------------------------
def child(out_path: str) -> None:
    """Run the DAG once through ``dag.test()`` and write each task's state, tries and XCom to ``out_path``."""
    import importlib.util

    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    path = dags / f"{DAG_ID}.py"
    spec = importlib.util.spec_from_file_location(DAG_ID, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    dag = module.dag
    from tests.dag_runs import run as run_dag  # serializes the DAGs folder first where Airflow 3.1 needs it

    started = time.monotonic()
    dag_run = run_dag(dag)
    seconds = time.monotonic() - started

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    tasks: dict[str, dict[str, Any]] = {}
    for ti in dag_run.get_task_instances():
        tasks[ti.task_id] = {"state": str(ti.state), "try": ti.try_number, "xcom": None}
    with create_session() as session:
        rows = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.key == "return_value",
            )
        )
        for row in rows:
            if row.task_id in tasks:
                tasks[row.task_id]["xcom"] = XComModel.deserialize_value(row)
    Path(out_path).write_text(json.dumps({"seconds": seconds, "run_id": dag_run.run_id, "tasks": tasks}))


# -- parent side: the sandbox, the run and the figures --------------------------------------------------
def fail_safe_rate(timeout: float, settle: float, tolerance: float, reach: int) -> float:
    """Sends per second on the account under which a look-up still reaches back to the attempt's start."""
    return reach / (timeout + settle + tolerance)


@dataclass
class Figures:
    n: int
    seconds: float
    states: Counter[str] = field(default_factory=Counter)
    final_try: Counter[int] = field(default_factory=Counter)
    duplicates: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    committed: int = 0
    faults: list[tuple[str, int]] = field(default_factory=list)
    post_outcomes: Counter[str] = field(default_factory=Counter)
    lost_then_resent: int = 0
    lost_tasks: int = 0
    dropped: int = 0
    dropped_not_resent: int = 0
    adopted_tasks: int = 0
    unproven: list[str] = field(default_factory=list)
    unproven_in_log: int = 0
    ledger_in_doubt: int = 0
    ledger_left_in_doubt: int = 0
    window_same_try: list[tuple[float, int]] = field(default_factory=list)  # (seconds, sends) per look-up
    window_later_try: list[tuple[float, int]] = field(default_factory=list)
    failed_tries: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    lookups: int = 0
    rate_limited: int = 0


def _outcome(entry: dict[str, Any]) -> str:
    if entry.get("dropped"):
        return "committed, answer dropped"
    return f"{entry.get('status')}" + (" (fault)" if entry.get("fault") else "")


def _reason(error: str) -> str:
    """The exception's class (``repr`` of it), or the look-up's refusal."""
    return NOT_REACHING_BACK if NOT_REACHING_BACK in error else error.split("(", 1)[0]


def analyse(server: Any, work: Path, result: dict[str, Any], n: int) -> Figures:
    from airflow_provider_legallymail.delivery.ledger import AttemptState
    from airflow_provider_legallymail.delivery.lost_sends import CLOCK_TOLERANCE

    f = Figures(n=n, seconds=float(result["seconds"]))
    for task in result["tasks"].values():
        f.states[task["state"]] += 1
        if task["state"] == "success":
            f.final_try[int(task["try"])] += 1
        if any(send.get("adopted") for send in (task.get("xcom") or {}).get("sends") or []):
            f.adopted_tasks += 1

    # What the sandbox holds: exactly one email per subject, or one missing, or a duplicate.
    per_subject = Counter(email.subject for email in server.sandbox.state.emails.values())
    f.committed = sum(per_subject.values())
    f.duplicates = {subject: count for subject, count in per_subject.items() if count > 1}
    f.missing = [s for s in (f"Bench notice {i:04d}" for i in range(n)) if not per_subject[s]]
    fired = [int(fault["fired"]) for fault in server.control("GET", "/faults")["faults"]]
    f.faults = [(label, count) for (label, _), count in zip(FAULTS, fired, strict=True)]

    # Each subject's POSTs in arrival order, as the server saw them.
    log = server.received(api="legallymail")
    f.requests = len(log)
    f.lookups = sum(1 for e in log if e["method"] == "GET" and e["path"] == "/api/emails")
    f.rate_limited = sum(1 for e in log if e["status"] == 429)
    posts: dict[str, list[dict[str, Any]]] = {}
    for entry in log:
        if entry["method"] == "POST" and entry["path"] == "/api/send":
            f.post_outcomes[_outcome(entry)] += 1
            posts.setdefault(str((entry.get("json") or {}).get("subject")), []).append(entry)
    for attempts in posts.values():
        lost = 0
        for i, entry in enumerate(attempts):
            later = attempts[i + 1 :]
            if entry["status"] in (502, 504) and later:  # not committed, in doubt to the client, then sent again
                lost += 1
            if entry.get("dropped"):
                f.dropped += 1
                f.dropped_not_resent += 0 if later else 1  # committed, and nothing was sent after it
        f.lost_then_resent += lost
        f.lost_tasks += 1 if lost else 0

    # Why tries failed: the failure and retry callbacks' records, and the task log.
    failed: dict[str, list[dict[str, Any]]] = {}
    path = work / "failures.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        record = json.loads(line)
        failed.setdefault(record["task_id"], []).append(record)
        f.failed_tries[_reason(record["error"])] += 1
        if NOT_REACHING_BACK in record["error"]:
            f.unproven.append(f"{record['task_id']} try {record['try']}")
    f.unproven_in_log = (work / "dag-test.log").read_text().count(NOT_REACHING_BACK)

    # The ledgers: each attempt that ended in doubt, and how many sends the look-up that resolved it had to
    # reach past: those created from the attempt's start (less the clock tolerance) to the look-up (the
    # next attempt's start, or the failure of the try that gave up).
    created = sorted(email.created_at for email in server.sandbox.state.emails.values())
    for path in (work / "ledger" / DAG_ID).rglob("*.json"):
        for attempts in (json.loads(path.read_text()).get("units") or {}).values():
            states = [AttemptState.parse(a.get("state")) for a in attempts]
            f.ledger_left_in_doubt += 1 if states[-1] in (AttemptState.IN_DOUBT, AttemptState.STARTED) else 0
            for i, attempt in enumerate(attempts):
                if states[i] is not AttemptState.IN_DOUBT:
                    continue
                f.ledger_in_doubt += 1
                start = _epoch(attempt["at"]) - CLOCK_TOLERANCE.total_seconds()
                if i + 1 < len(attempts):
                    end, same_try = _epoch(attempts[i + 1]["at"]), attempts[i + 1]["try"] == attempt["try"]
                else:
                    later = [r for r in failed.get(path.stem, []) if r["try"] > attempt["try"]]
                    if not later:
                        continue
                    end, same_try = float(later[0]["at"]), False
                inside = bisect.bisect_right(created, end) - bisect.bisect_left(created, start)
                (f.window_same_try if same_try else f.window_later_try).append((end - start, inside))
    return f


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def report(f: Figures) -> None:
    from airflow_provider_legallymail.delivery.lost_sends import CLOCK_TOLERANCE
    from airflow_provider_legallymail.limits import LIST_LIMIT_MAX

    def per_second(count: int, seconds: float) -> str:
        return f"{count / seconds:.2f}/s ({count / seconds * 60:.0f}/min)" if seconds > 0 else "n/a"

    succeeded = f.states.get("success", 0)
    print(f"Lost sends at a rate: {f.n} SendCertifiedEmailOperator tasks in one DAG, retries={RETRIES}, dag.test()")
    print(
        f"sandbox: real-time clock, {RATE_LIMIT} requests / {RATE_WINDOW:g} s per IP; connection: "
        f"requests_per_minute={RATE_LIMIT}, timeout={TIMEOUT:g}, settle_seconds={SETTLE:g}"
    )
    print("faults on POST /api/send (fired): " + ", ".join(f"{label}: {fired}" for label, fired in f.faults))
    print()
    print(f"tasks succeeded / failed             {succeeded} / {f.n - succeeded}   by final try: ", end="")
    print(", ".join(f"try {t}: {c}" for t, c in sorted(f.final_try.items())))
    print(f"duplicates (emails per subject > 1)  {len(f.duplicates)}" + (f"  {f.duplicates}" if f.duplicates else ""))
    print(f"subjects never sent                  {len(f.missing)}" + (f"  {f.missing[:10]}" if f.missing else ""))
    print(f"emails in the sandbox                {f.committed}")
    print(f"POST /api/send by outcome            {dict(f.post_outcomes)}")
    print(f"lost before commit (502/504), proven absent and resent: {f.lost_then_resent} in {f.lost_tasks} tasks")
    print(f"answers dropped after commit         {f.dropped}, never sent again: {f.dropped_not_resent}, ", end="")
    print(f"adopted by their task: {f.adopted_tasks}")
    print(
        f"look-ups that could not prove absence {len(f.unproven)} failed tries"
        + (f" {f.unproven}" if f.unproven else ""),
        end="",
    )
    print(f" ('{NOT_REACHING_BACK}' in the task log: {f.unproven_in_log})")
    print(f"ledger attempts ended in doubt       {f.ledger_in_doubt}, ", end="")
    print(f"units still in doubt at the end: {f.ledger_left_in_doubt}")
    print("sends inside a look-up's window (attempt start - 3 s .. look-up; the list reaches back past < 25):")
    for label, windows in (("same try", f.window_same_try), ("later try", f.window_later_try)):
        if windows:
            longest = max(seconds for seconds, _ in windows)
            spread = dict(sorted(Counter(sends for _, sends in windows).items()))
            print(
                f"  {label:<10} {len(windows)} look-ups, windows up to {longest:.1f} s; sends in a window: "
                f"count {spread}"
            )
        else:
            print(f"  {label:<10} none")
    print(f"failed tries by reason               {dict(f.failed_tries) or 0}")
    print(f"requests to LegallyMail              {f.requests} ({per_second(f.requests, f.seconds)}), ", end="")
    print(f"look-ups GET /api/emails: {f.lookups}, answered 429: {f.rate_limited}")
    print(f"wall time (dag.test)                 {f.seconds:.1f} s")
    print(f"observed send rate                   {per_second(f.committed, f.seconds)}")
    print()
    tolerance = CLOCK_TOLERANCE.total_seconds()
    print(
        f"A lost response still fails safe (the look-up proves absence) while fewer than {LIST_LIMIT_MAX} sends on "
        "the account fall\nbetween the attempt's start (less the clock tolerance) and the look-up: at most "
        f"{LIST_LIMIT_MAX} / (timeout + settle_seconds + {tolerance:g}) sends/s."
    )
    cases = (("default extras", DEFAULT_TIMEOUT, DEFAULT_SETTLE, 10), ("this bench", TIMEOUT, SETTLE, RATE_LIMIT))
    for label, timeout, settle, budget in cases:
        limit = fail_safe_rate(timeout, settle, tolerance, LIST_LIMIT_MAX)
        window = timeout + settle + tolerance
        print(
            f"  {label:<15} timeout={timeout:<3g} settle_seconds={settle:<3g} {LIST_LIMIT_MAX}/{window:g} s = "
            f"{limit:.3f}/s ({limit * 60:.1f}/min); one host's {budget} requests/min (so at most {budget} "
            f"sends/min) is {limit * 60 / budget:.1f}x below it"
        )
    print(
        "  dag.test() runs one task at a time: no other task sends while a try waits to look up, so the limit is\n"
        "  not reached in the same try here; it is what concurrent senders on one account (several hosts, other\n"
        "  clients) must stay under, and what a later try's look-up meets after the sends made in between."
    )


def run(n: int, keep: Path | None) -> Figures:
    from legallymail_sandbox.config import SandboxConfig
    from legallymail_sandbox.server import SandboxServer

    config = SandboxConfig(speed=1.0, rate_limit=RATE_LIMIT, rate_window=RATE_WINDOW, credits=CREDITS)
    with tempfile.TemporaryDirectory(prefix="lost-sends-bench-") as tmp, SandboxServer(config) as server:
        work = Path(tmp)
        home = work / "airflow-home"
        (home / "dags").mkdir(parents=True)
        env = {
            **os.environ,
            **server.connection_env(requests_per_minute=RATE_LIMIT, timeout=TIMEOUT, settle_seconds=SETTLE),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LEGALLYMAIL__LEDGER_PATH": f"file://{work}/ledger",
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(work / "state"),
            "LOST_SENDS_N": str(n),
            "LOST_SENDS_FAILURES": str(work / "failures.jsonl"),
            "PYTHONPATH": str(ROOT),
        }
        dag_file = DAG_FILE.replace("__DAG_ID__", DAG_ID).replace("__RETRIES__", str(RETRIES))
        (home / "dags" / f"{DAG_ID}.py").write_text(dag_file)
        airflow = Path(sys.executable).with_name("airflow")
        subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True)
        for _, spec in FAULTS:
            server.fault("legallymail", "POST", "/api/send", **spec)
        out, logs = work / "result.json", work / "dag-test.log"
        with logs.open("w") as handle:
            child_args = [sys.executable, __file__, "--child", str(out)]
            done = subprocess.run(child_args, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"the DAG run failed (exit {done.returncode}):\n{logs.read_text()[-5000:]}")
        figures = analyse(server, work, json.loads(out.read_text()), n)
        if keep is not None:
            shutil.copytree(work, keep, dirs_exist_ok=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="email tasks in the DAG (default 200)")
    parser.add_argument("--keep", type=Path, help="copy the run's files (task log, ledgers, Airflow home) here")
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    report(run(options.n, options.keep))


if __name__ == "__main__":
    main()
