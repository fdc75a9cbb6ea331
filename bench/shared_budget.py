"""One request budget per egress address: N hosts behind one IP against LegallyMail's per-IP rate limit.

One in-process sandbox with its rate limit on, scaled down in time (``--limit`` 10 requests per
``--window`` 4 s instead of per 60 s; the connection's ``rate_window`` extra says the same, as the sandbox's
printed connections do). N simulated hosts (N = 1, 2, 4), each with its own state dir (its own budget file,
as hosts with their own disks) and ``--threads`` worker threads, each thread with its own real
``ApiClient`` (default extras: ``requests_per_minute`` 10, ``max_retries`` 3) sending ``GET /api/info``
back to back for ``--windows`` (25) windows: every host always has work. All hosts reach the sandbox from
127.0.0.1, one address.

Two budgets in the same run:

- ``adaptive``: this release; each host's limit adapts to the 429s it sees (``client.adaptive``), a 429
  pauses the host for ``Retry-After`` and is waited out without using up ``max_retries``;
- ``per-host``: the fixed per-host budget of earlier releases (``RequestBudget(adaptive=False)``): every
  host spends the full limit.

Printed per N and budget: requests the sandbox received, the share answered 429 (over the run, and from
the third window on: the first two are the hosts' first contact, each starting at the full limit), budget
use (requests the sandbox accepted per window, divided by the limit, over the run: every host had work
all along), calls
that failed (raised), and calls that met more 429s than ``max_retries`` (they failed with
``RateLimitedError`` under earlier releases, whose transport counted 429s as retries).

Usage: ``python bench/shared_budget.py [--window 4] [--windows 25] [--threads 3]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.transport import ApiClient
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer

MAX_RETRIES = 3


class CountingSession(requests.Session):
    """Counts the 429s of the current call (one session per thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.limited = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        self.limited += response.status_code == 429
        return response


@dataclass
class Tally:
    calls: int = 0
    failed: int = 0
    over_retries: int = 0  # calls with more 429s than max_retries: failed under earlier releases
    lock: threading.Lock = field(default_factory=threading.Lock)


def worker(server: SandboxServer, state_dir: Path, adaptive: bool, window: float, stop: float, tally: Tally) -> None:
    settings = ClientSettings(
        base_url=server.legallymail_url,
        token=server.legallymail_token,
        max_retries=MAX_RETRIES,
        requests_per_minute=10,
        rate_window=window,
    )
    session = CountingSession()
    budget = RequestBudget(settings.base_url, 10, window=window, state_dir=state_dir, adaptive=adaptive)
    client = ApiClient(settings, budget=budget, session=session)
    while time.time() < stop:
        session.limited = 0
        failed = False
        try:
            client.request("GET", "/api/info")
        except Exception:
            failed = True
        with tally.lock:
            tally.calls += 1
            tally.failed += failed
            tally.over_retries += session.limited > MAX_RETRIES


def run(hosts: int, adaptive: bool, args: argparse.Namespace) -> dict[str, float]:
    config = SandboxConfig(speed=1.0, rate_limit=args.limit, rate_window=args.window)
    tally = Tally()
    with SandboxServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        began = time.time()
        stop = began + args.windows * args.window
        threads = [
            threading.Thread(
                target=worker, args=(server, Path(tmp) / f"host{h}", adaptive, args.window, stop, tally), daemon=True
            )
            for h in range(hosts)
            for _ in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - began  # includes the last calls' waits past the stop
        received = server.received(api="legallymail", path="/api/info")
    statuses = [r["status"] for r in received]
    times = [datetime.fromisoformat(r["time"]).timestamp() for r in received]  # the sandbox's clock, x1
    later = [r for r, t in zip(statuses, times, strict=True) if times and t - times[0] >= 2 * args.window]
    accepted = statuses.count(200)
    return {
        "requests": len(statuses),
        "share_429": statuses.count(429) / max(1, len(statuses)),
        "later_429": later.count(429) / max(1, len(later)),
        "use": accepted / (elapsed / args.window * args.limit),
        "calls": tally.calls,
        "failed": tally.failed,
        "over_retries": tally.over_retries,
    }


def main() -> None:
    logging.getLogger("airflow_provider_legallymail").setLevel(logging.ERROR)  # one warning per 429 otherwise
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10, help="the sandbox's requests per window per IP (10)")
    parser.add_argument("--window", type=float, default=4.0, help="its window in seconds (4; the API's is 60)")
    parser.add_argument("--windows", type=int, default=25, help="how many windows each host has work for (25)")
    parser.add_argument("--threads", type=int, default=3, help="sending threads per host (3)")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    print(
        f"Shared budget: {args.limit} requests per {args.window:g} s per IP, {args.threads} threads per host, "
        f"work for {args.windows} windows"
    )
    head = ("requests", "429 share", "after 2 windows", "use", "calls", "failed", ">max_retries")
    widths = (8, 9, 15, 6, 6, 6, 12)
    print(f"{'N':>3} {'budget':<9} " + " ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for hosts in args.hosts:
        figures = {}
        for adaptive in (True, False):
            r = figures[adaptive] = run(hosts, adaptive, args)
            name = "adaptive" if adaptive else "per-host"
            print(
                f"{hosts:>3} {name:<9} {r['requests']:>8} {r['share_429']:>9.1%} {r['later_429']:>15.1%} "
                f"{r['use']:>6.0%} {r['calls']:>6} {r['failed']:>6} {r['over_retries']:>12}",
                flush=True,
            )
        base, ours = figures[False]["share_429"], figures[True]["share_429"]
        if base:
            print(f"    429 share adaptive / per-host: {ours / base:.2f}")


if __name__ == "__main__":
    main()
