"""Certified mail merge at scale: peak memory for 1,000 and 10,000 rows, with the POST stubbed (no rate limit).

Each size runs ``CertifiedMailMergeOperator`` in a fresh child process on rows read from a CSV file (own
subject and body per row from Jinja templates, an attachment on every tenth row), with the ledger in files
under a temporary ``ledger_path`` (fsync'd at every step, as in production). ``POST /api/send`` and ``GET
/api/info`` are replaced by stubs, so no request leaves the process and nothing waits for the request budget;
everything else (pass 1 into SQLite, the per-row ledger units, the summary) is the real code. The child's peak
RSS growth (``VmHWM`` reset after a 10-row warm-up run, minus the RSS then) is the operator's own, read twice:
when every row has been sent (the work: pass 1, pass 2, the ledger), and at the end, with the summary, whose
ids (about 110 bytes a row) grow with the rows by design. The ratio between the two sizes shows whether memory
grows with the rows. Also printed: the summary's JSON size (the XCom) and the wall time (the ledger's fsyncs
dominate it; the real API allows 10 sends a minute).
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
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1_000, 10_000)


def _context(run_id: str) -> Any:
    ti = SimpleNamespace(
        dag_id="bench", run_id=run_id, task_id="merge", map_index=-1, try_number=1, xcom_push=lambda **_: None
    )
    return {"ti": ti}


def child(path: str, warm_up: str) -> None:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.operators.mail_merge import CertifiedMailMergeOperator
    from bench.legitmailer_scale import _reset_peak, _status_kib

    sent = iter(range(10**9))

    def post(self: Any, payload: dict[str, Any]) -> dict[str, Any]:  # the stubbed POST /api/send
        tracking_id = f"cm_{next(sent):016x}"
        recipient = {"email": payload["recipient"], "tracking_id": tracking_id, "status": "sent", "error_details": None}
        return {
            "tracking_id": tracking_id,
            "subject": payload["subject"],
            "sent_at": None,
            "status": "sent",
            "recipients": [recipient],
            "success_count": 1,
            "fail_count": 0,
        }

    def info(self: Any) -> Any:  # the stubbed GET /api/info
        return SimpleNamespace(user=SimpleNamespace(remaining_emails=10**6))

    CertifiedMailMergeOperator.post = post  # type: ignore[method-assign]
    LegallyMailHook.get_account_info = info  # type: ignore[method-assign]

    def merge(rows: str) -> CertifiedMailMergeOperator:
        return CertifiedMailMergeOperator(
            task_id="merge",
            rows=rows,
            subject="Annual notice {{ customer_id }}",
            html="<p>Dear {{ name }},</p><p>your statement for {{ customer_id }} is attached.</p>",
            key_column="customer_id",
        )

    work_peak: list[int] = []
    summarize = CertifiedMailMergeOperator.summarize

    def measured(self: Any, campaign: Any, base: dict[str, Any]) -> dict[str, Any]:
        work_peak.append(_status_kib("VmHWM"))  # every row sent; the summary (the ids, linear) not yet built
        return summarize(self, campaign, base)

    CertifiedMailMergeOperator.summarize = measured  # type: ignore[method-assign]
    merge(warm_up).execute(_context("warm-up"))
    _reset_peak()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    result = merge(path).execute(_context(f"run-{time.time_ns()}"))
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    summary = {
        "rows": result["sent"],
        "seconds": seconds,
        "work_kib": work_peak[-1] - before,
        "rss_growth_kib": peak - before,
        "xcom": len(json.dumps(result)),
    }
    print(json.dumps(summary))


def write_rows(path: Path, count: int, attachment: Path) -> str:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "email", "name", "attachments"])
        for i in range(count):
            writer.writerow(
                [f"C{i:06d}", f"customer{i}@example.com", f"Customer {i}", attachment if i % 10 == 0 else ""]
            )
    return str(path)


def measure(env: dict[str, str], path: str, warm_up: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", path, warm_up], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the mail merge failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("CSV", "WARM_UP_CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-mail-merge-") as tmp:
        work = Path(tmp)
        attachment = work / "statement.pdf"
        attachment.write_bytes(b"%PDF-1.4 " + b"x" * 20_000)
        connection = {"conn_type": "legallymail", "host": "https://legallymail.invalid", "password": "bench-token"}
        env = {
            **os.environ,
            "AIRFLOW_CONN_LEGALLYMAIL_DEFAULT": json.dumps(connection),
            "AIRFLOW_HOME": str(work / "airflow-home"),
            "AIRFLOW__LEGALLYMAIL__LEDGER_PATH": f"file://{work}/ledger",
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(work / "state"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }
        warm_up = write_rows(work / "warm-up.csv", 10, attachment)
        results = {n: measure(env, write_rows(work / f"rows-{n}.csv", n, attachment), warm_up) for n in SIZES}
    print("Certified mail merge, POST /api/send stubbed (no rate limit), ledger in files (fsync per step):")
    for n, r in results.items():
        print(
            f"  {n:>6} rows: peak RSS growth while sending {r['work_kib'] / 1024:5.1f} MiB, with the summary "
            f"{r['rss_growth_kib'] / 1024:5.1f} MiB; {r['seconds']:5.1f} s; summary (XCom) {r['xcom'] / 1024:6.1f} KiB "
            f"({r['xcom'] / n:.0f} bytes a row)"
        )
    small, large = (results[n] for n in SIZES)
    print(
        f"  peak memory ratio {SIZES[1]:,} / {SIZES[0]:,} rows (rows ratio 10): while sending "
        f"{large['work_kib'] / max(1, small['work_kib']):.2f}, with the summary "
        f"{large['rss_growth_kib'] / max(1, small['rss_growth_kib']):.2f}"
    )


if __name__ == "__main__":
    main()
