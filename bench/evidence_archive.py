"""ArchiveEvidenceOperator at scale, against the sandbox: N certificates archived, then archived again.

Scenarios (N = 1,000 certificates by default, ``--n`` to change): N/10 emails of 10 recipients who never
read, so each recipient has exactly one (delivered) certificate whatever shape the sandbox lists for read
recipients. Measured in a fresh child process each: the archive of N/10 certificates, of N, a second run
over the same N (nothing to download), and one signature request whose original document is ~10 MiB
(memory must stay flat in the file's size too). Then 50 of the emails archived given their ids (one
status read each) and given the ``WaitResult`` a sensor returned for each (no status read: only downloads).

Each line gives the files archived, the API requests (``GET /api/...``, one per email) and downloads the
sandbox served, the wall time, and the child's peak RSS growth (``VmHWM`` reset after imports and a first
API call, minus the RSS then).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECIPIENTS_PER_EMAIL = 10
WAITED_EMAILS = 50


# -- child side ---------------------------------------------------------------------------------------
def child(evidence_file: str, kind: str, destination: str) -> None:
    """Archive the evidence in ``evidence_file`` (ids of ``kind``, or return values when kind is "-")."""
    from types import SimpleNamespace

    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
    from bench.legitmailer_scale import _reset_peak, _status_kib

    LegallyMailHook().get_account_info()  # warm up: imports, connection, session
    _reset_peak()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    evidence = json.loads(Path(evidence_file).read_text())
    op = ArchiveEvidenceOperator(
        task_id="archive", evidence=evidence, kind=None if kind == "-" else kind, destination=destination
    )
    ti = SimpleNamespace(xcom_push=lambda key, value: None)
    result = op.execute({"ti": ti})  # type: ignore[typeddict-item]
    seconds = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    files = result["downloaded"] + result["already_present"]
    print(json.dumps({"files": files, "downloaded": result["downloaded"], "seconds": seconds, "rss": peak - before}))


# -- parent side --------------------------------------------------------------------------------------
class Bench:
    def __init__(self, sandbox: Any, workdir: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.env = {
            **os.environ,
            **sandbox.connection_env(requests_per_minute=0),
            "AIRFLOW_HOME": str(workdir / "airflow-home"),
            "LEGALLYMAIL_PROVIDER_STATE_DIR": str(workdir / "state"),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }

    def served(self) -> tuple[int, int]:
        """(API requests, downloads) the sandbox has answered so far."""
        paths = [r["path"] for r in self.sandbox.received(api="legallymail", method="GET")]
        api = sum(1 for p in paths if p.startswith("/api/"))
        return api, len(paths) - api

    def measure(self, evidence: list[Any], kind: str, destination: Path) -> dict[str, Any]:
        path = self.workdir / f"evidence-{destination.name}.json"
        path.write_text(json.dumps(evidence))
        api_before, dl_before = self.served()
        args = [sys.executable, __file__, "--child", str(path), kind, str(destination)]
        out = subprocess.run(args, env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"archive failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        api_after, dl_after = self.served()
        result.update(api=api_after - api_before - 1, downloads=dl_after - dl_before)  # -1: the warm-up call
        return result


def line(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label:<40}{r['files']:>7}{r['downloaded']:>11}{r['api']:>6}{r['downloads']:>11}"
        f"{r['seconds']:>9.2f}{r['rss'] / 1024:>9.1f}"
    )


def wait_result(hook: Any, tracking_id: str) -> dict[str, Any]:
    """What ``CertifiedEmailSensor(target="delivered")`` returns for ``tracking_id`` (one status read)."""
    from airflow_provider_legallymail.waiting.decision import decide, result
    from airflow_provider_legallymail.waiting.observations import fetch_observation
    from airflow_provider_legallymail.waiting.wait import wait_spec

    now = time.time()
    observations = {tracking_id: fetch_observation(hook, "email", tracking_id)}
    spec = wait_spec("email", tracking_id, "delivered", deadline=now + 60)
    return dict(result(spec, observations, decide(spec, observations, now), now))


def big_pdf(size: int) -> bytes:
    from legallymail_sandbox.pdf import render_pdf

    head = render_pdf("Large contract", ["padding follows"])
    return head + b"%" + os.urandom(size - len(head) - 2).hex().encode()[: size - len(head) - 2] + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000, help="certificates (a multiple of 10)")
    options = parser.parse_args()
    emails = max(1, options.n // RECIPIENTS_PER_EMAIL)

    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from legallymail_sandbox.config import SandboxConfig
    from legallymail_sandbox.server import SandboxServer

    config = SandboxConfig(speed=0.0, rate_limit=0, credits=options.n + 100)
    with tempfile.TemporaryDirectory(prefix="evidence-bench-") as tmp, SandboxServer(config) as sandbox:
        work = Path(tmp)
        bench = Bench(sandbox, work)
        os.environ.update(bench.env)
        hook = LegallyMailHook()
        ids = []
        for e in range(emails):
            recipients = [f"r{e}-{i}+noread@example.com" for i in range(RECIPIENTS_PER_EMAIL)]
            ids.append(hook.send_email(recipients, f"Notice {e}", "<p>Certified.</p>").tracking_id)
        document = big_pdf(10 * 1024 * 1024 - 4096)
        uuid = hook.request_signature(document, "Large.pdf", [{"name": "Ana", "email": "ana@example.com"}]).uuid
        sandbox.advance(70)  # delivered, and signed

        small = bench.measure(ids[: max(1, emails // 10)], "email", work / "small")
        first = bench.measure(ids, "email", work / "archive")
        second = bench.measure(ids, "email", work / "archive")
        large = bench.measure([uuid], "signature", work / "large")
        fifty = ids[:WAITED_EMAILS]
        by_ids = bench.measure(fifty, "email", work / "by-ids")
        by_wait = bench.measure([wait_result(hook, i) for i in fifty], "-", work / "by-wait")

    print("ArchiveEvidenceOperator against the sandbox (loopback HTTP), each run in a fresh process")
    print(f"{'scenario':<40}{'files':>7}{'downloaded':>11}{'API':>6}{'downloads':>11}{'wall s':>9}{'RSS MiB':>9}")
    print(line("certificates, N/10", small))
    print(line("certificates, N", first))
    print(line("certificates, N again (all present)", second))
    print(line(f"signature, {len(document) / 2**20:.1f} MiB original + acta", large))
    print(line(f"{len(fifty)} emails, given their ids", by_ids))
    print(line(f"{len(fifty)} emails, given the wait's results", by_wait))
    print()
    print(
        f"per certificate: {first['seconds'] / max(1, first['files']) * 1000:.1f} ms; "
        f"API requests: one per email ({emails}), downloads: one per file, none on the second run; "
        f"peak RSS growth N/10 -> N: {small['rss'] / 1024:.1f} -> {first['rss'] / 1024:.1f} MiB; "
        f"a {len(document) / 2**20:.1f} MiB file: {large['rss'] / 1024:.1f} MiB"
    )
    print(
        f"{len(fifty)} emails archived: {by_ids['api']} API requests given ids, {by_wait['api']} given what the "
        f"waits observed (the same {by_wait['downloads']} downloads); at LegallyMail's 10 requests/minute "
        f"(downloads are not counted) that is {by_ids['api'] / 10:.0f} vs {by_wait['api'] / 10:.0f} minutes of budget"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
