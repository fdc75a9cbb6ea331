"""Legitmailer operators at scale, against the sandbox, beside the naive way measured in the same run.

Scenarios (N = 10,000 by default, ``--n`` to change):

- a template batch to N recipients with ``TemplateBatchOperator`` (batches of 100, 4 in flight), beside
  one ``POST /api/email/template`` per recipient;
- a sync of N contacts with ``ContactSyncOperator``: a first run (no snapshot), then a run where 1% of the
  rows changed, each beside the naive sync: a GET then a PUT (POST when absent) per contact.

Each measurement runs in a fresh child process that reads its rows from a CSV file, so its peak RSS
growth (``VmHWM``, reset after imports and a first API call, minus the RSS then) is the operator's own; ours is
also measured at N/10 to show that it does not grow with N. The sandbox (in this process) counts the
requests. The naive baselines are slow, so by default they run on a sample of ``--sample`` rows and
their time is extrapolated linearly to N (their request counts are exact: one or two per row); the
output says so. ``--full`` runs them on all N rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("GET", "POST", "PUT", "DELETE")


# -- child side ---------------------------------------------------------------------------------------
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    """Reset VmHWM (Linux 4.0+). ``ru_maxrss`` is not used: it keeps the forking parent's RSS across exec."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _ti(task_id: str) -> Any:
    from types import SimpleNamespace

    run_id = f"run-{time.time_ns()}"  # a new task instance each time: nothing to adopt from earlier runs
    return SimpleNamespace(dag_id="bench", run_id=run_id, task_id=task_id, map_index=-1, try_number=1)


def _rows(path: str, limit: int | None) -> Any:
    with open(path, newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if limit is not None and i >= limit:
                return
            yield row


def child(scenario: str, path: str, limit: int | None, snapshots: str) -> None:
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
    from airflow_provider_legallymail.operators.legitmailer import ContactSyncOperator, TemplateBatchOperator

    hook = LegitmailerHook()
    lists = {c.name: c.contact_list_id for c in hook.list_contact_lists()}  # warm up: imports, session
    _reset_peak()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    rows = 0
    if scenario == "batch":
        result = TemplateBatchOperator(task_id="batch", template="welcome", recipients=path).execute(
            {"ti": _ti("batch")}  # type: ignore[typeddict-item]
        )
        rows = result["sent"]
    elif scenario == "naive-batch":
        for row in _rows(path, limit):
            hook.send_template_email("welcome", row["email"], {"name": row["name"]})
            rows += 1
    elif scenario == "sync":
        op = ContactSyncOperator(task_id="sync", contact_list="customers", source=path, snapshot_path=snapshots)
        result = op.execute({"ti": _ti("sync")})  # type: ignore[typeddict-item]
        rows = sum(result[k] for k in ("created", "updated", "unchanged"))
    elif scenario == "naive-sync":
        from airflow_provider_legallymail.exceptions import NotFoundError

        list_id = lists["customers"]
        for row in _rows(path, limit):
            data = {"name": row["name"], "plan": row["plan"]}
            try:
                hook.get_contact(list_id, row["customer_id"])
            except NotFoundError:
                hook.add_contact(list_id, row["customer_id"], row["email"], data)
            else:
                hook.update_contact(list_id, row["customer_id"], row["email"], data)
            rows += 1
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_growth_kib": max(0, peak - before)}))


# -- parent side --------------------------------------------------------------------------------------
def write_csv(path: Path, header: list[str], rows: Any) -> str:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


class Bench:
    def __init__(self, sandbox: Any, workdir: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.env = {
            **os.environ,
            **sandbox.connection_env(requests_per_minute=0),
            "AIRFLOW_HOME": str(workdir / "airflow-home"),
            "AIRFLOW__LEGALLYMAIL__LEDGER_PATH": f"file://{workdir}/ledger",
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(workdir / "state"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }

    def counts(self) -> dict[str, int]:
        return {
            m: int(self.sandbox.control("GET", "/requests", params={"api": "legitmailer", "method": m})["count"])
            for m in METHODS
        }

    def measure(self, scenario: str, path: str, limit: int | None = None, snapshots: str = "") -> dict[str, Any]:
        before = self.counts()
        args = [sys.executable, __file__, "--child", scenario, path, str(limit or 0), snapshots or "-"]
        out = subprocess.run(args, env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{scenario} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        after = self.counts()
        after["GET"] -= 1  # the child's warm-up call (GET /api/contactlist) before it starts measuring
        by_method = {m: after[m] - before[m] for m in METHODS if after[m] - before[m]}
        result.update(requests=sum(by_method.values()), by_method=by_method)
        return result


def extrapolate(result: dict[str, Any], n: int) -> dict[str, Any]:
    factor = n / max(1, result["rows"])
    return {
        **result,
        "seconds": result["seconds"] * factor,
        "requests": round(result["requests"] * factor),
        "by_method": {m: round(c * factor) for m, c in result["by_method"].items()},
        "note": f"measured on {result['rows']} rows, time and requests x{factor:g}",
    }


def line(label: str, n: int, r: dict[str, Any]) -> str:
    methods = " ".join(f"{m}={c}" for m, c in r["by_method"].items())
    note = f"  ({r['note']})" if r.get("note") else ""
    return f"{label:<34}{n:>7}{r['requests']:>9}{r['seconds']:>9.1f}{r['rss_growth_kib'] / 1024:>9.1f}  {methods}{note}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows the naive baselines run on")
    parser.add_argument("--full", action="store_true", help="run the naive baselines on all N rows")
    options = parser.parse_args()
    n, small = options.n, max(1, options.n // 10)
    sample = None if options.full or options.sample >= n else options.sample

    from legallymail_sandbox.config import SandboxConfig
    from legallymail_sandbox.server import SandboxServer

    with (
        tempfile.TemporaryDirectory(prefix="legitmailer-bench-") as tmp,
        SandboxServer(SandboxConfig(speed=0.0, rate_limit=0)) as sandbox,
    ):
        work = Path(tmp)
        bench = Bench(sandbox, work)

        def people(count: int) -> str:
            rows = ((f"user{i}@example.com", f"User{i}") for i in range(count))
            return write_csv(work / f"people-{count}.csv", ["email", "name"], rows)

        def contacts(count: int, changed: bool) -> str:
            rows = (
                (f"C{i:06d}", f"c{i}@example.com", f"Name{i}", "pro" if changed and i % 100 == 0 else "basic")
                for i in range(count)
            )
            name = f"contacts-{count}-{'changed' if changed else 'base'}.csv"
            return write_csv(work / name, ["customer_id", "email", "name", "plan"], rows)

        results: list[tuple[str, int, dict[str, Any]]] = []
        started = time.perf_counter()

        sandbox.reset()
        small_batch = bench.measure("batch", people(small))
        sandbox.reset()
        ours_batch = bench.measure("batch", people(n))
        sandbox.reset()
        naive_batch = bench.measure("naive-batch", people(n), sample)
        if sample:
            naive_batch = extrapolate(naive_batch, n)
        results += [
            ("template batch, ours (N/10)", small, small_batch),
            ("template batch, ours", n, ours_batch),
            ("one request per recipient", n, naive_batch),
        ]

        sync_results = {}
        for size in (small, n):
            sandbox.reset()
            snaps = f"file://{work}/snapshots-{size}"
            first = bench.measure("sync", contacts(size, False), snapshots=snaps)
            second = bench.measure("sync", contacts(size, True), snapshots=snaps)
            sync_results[size] = (first, second)
        sandbox.reset()
        naive_first = bench.measure("naive-sync", contacts(n, False), sample)
        naive_second = bench.measure("naive-sync", contacts(n, True), sample)
        if sample:
            naive_first, naive_second = extrapolate(naive_first, n), extrapolate(naive_second, n)
        results += [
            ("contact sync 1st run, ours (N/10)", small, sync_results[small][0]),
            ("contact sync 1st run, ours", n, sync_results[n][0]),
            ("contact sync 1st run, GET+PUT", n, naive_first),
            ("contact sync 1% changed, ours (N/10)", small, sync_results[small][1]),
            ("contact sync 1% changed, ours", n, sync_results[n][1]),
            ("contact sync 1% changed, GET+PUT", n, naive_second),
        ]

    print("Legitmailer operators against the sandbox (loopback HTTP), each measurement in a fresh process")
    print(f"{'scenario':<34}{'N':>7}{'requests':>9}{'wall s':>9}{'RSS MiB':>9}  by method")
    for label, size, result in results:
        print(line(label, size, result))
    ours_second = sync_results[n][1]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.4f}" if b else "n/a"

    print()
    print(
        f"batch: requests ours/naive {ratio(ours_batch['requests'], naive_batch['requests'])} "
        f"(ceil(N/100) = {-(-n // 100)} batch POSTs + 2 template GETs: list and detail), "
        f"time ours/naive {ratio(ours_batch['seconds'], naive_batch['seconds'])}"
    )
    print(
        f"sync 1st run: time ours/naive {ratio(sync_results[n][0]['seconds'], naive_first['seconds'])} "
        "(same GET + write per row, on 4 threads)"
    )
    print(
        f"sync 1% changed: requests ours/naive {ratio(ours_second['requests'], naive_second['requests'])}, "
        f"writes {sum(c for m, c in ours_second['by_method'].items() if m != 'GET')} for {n // 100} changed rows, "
        f"contact GETs {ours_second['by_method'].get('GET', 0) - 1} (+1 GET of the contact lists), "
        f"time ours/naive {ratio(ours_second['seconds'], naive_second['seconds'])}"
    )
    print(
        f"memory, ours at N/10 vs N: batch {small_batch['rss_growth_kib'] / 1024:.1f} vs "
        f"{ours_batch['rss_growth_kib'] / 1024:.1f} MiB, sync {sync_results[small][0]['rss_growth_kib'] / 1024:.1f} "
        f"vs {sync_results[n][0]['rss_growth_kib'] / 1024:.1f} MiB"
    )
    print(f"total bench time {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, scenario_arg, path_arg, limit_arg, snapshots_arg = sys.argv
        child(scenario_arg, path_arg, int(limit_arg) or None, "" if snapshots_arg == "-" else snapshots_arg)
    else:
        main()
