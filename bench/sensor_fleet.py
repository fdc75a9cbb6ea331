"""N concurrent waits against the sandbox: our triggers vs the HttpSensor pattern vs a round-robin poller.

The sandbox runs ``SPEED`` times faster than real time and so does its 10-requests-per-minute limit (10 per
``60 / SPEED`` real seconds). Waits are a mix of single- and multi-recipient emails (target read), signatures
and SMS; outcomes arrive at random times (log-normal, median 10 minutes), some never, some bounce, decline
or fail. Each approach runs on a fresh sandbox with the same schedule, on one event loop, and is measured:
requests, 429s, failed waits (an error or a wrong outcome), median / p95 delay between a status change and
its detection (sandbox seconds) and the longest event-loop stall (real ms). Memory per 1,000 waits is
measured apart, with tracemalloc (RSS moves by whole arenas and is noise at these sizes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

SPEED = 600.0
HORIZON = 3600.0  # sandbox seconds during which outcomes arrive; waits end at HORIZON * 1.5
POKE_INTERVAL = 60.0  # the HttpSensor pattern's poke_interval (sandbox seconds)
SIZES = (25, 100, 500)
POLL_SHARE = 10
"""The baselines' budget: what our poller may use here, the whole limit, since this host sends nothing (the
poller leaves sends a reserve only while the host has sends)."""


@dataclass
class Wait:
    kind: str
    ident: str
    expected: str  # reached / failed / timeout
    change_at: float | None  # sandbox seconds after start, when the decisive change happens
    action: tuple[str, str] | None = None  # control call making it happen (mark_read / sign / decline)
    detected_at: float | None = None
    outcome: str | None = None


def memory_per_1000_waits(n: int = 5000) -> float:
    """KB that 1,000 waiting triggers hold in the triggerer: each trigger, its subscription, its watch in
    the shared poller and one observation delivered (a two-recipient email with its certificates)."""
    import tracemalloc

    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
    from airflow_provider_legallymail.waiting.poller import DEFAULT_CONFIG, Poller
    from airflow_provider_legallymail.waiting.wait import wait_spec

    def observation(i: int) -> dict[str, Any]:
        def party(who: str) -> dict[str, Any]:
            url = f"https://legallymail.com/api/certificate?tracking_id=cm_{i:016x}&type=delivered"
            times = {"sent_at": "2026-01-01T10:00:00+01:00", "delivered_at": "2026-01-01T10:00:05+01:00"}
            cert = {"type": "delivered", "url": url, "hash": "ab" * 32, "confirmed_at": times["delivered_at"]}
            return {"who": who, "status": "delivered", "reason": None, "tracking_id": f"cm_{i:016x}",
                    "times": {**times, "read_at": None}, "certificates": [cert]}  # fmt: skip

        parties = [party(f"r{i}@example.com"), party(f"s{i}@example.com")]
        return {"kind": "email", "id": f"cm_parent_{i:016x}", "status": "pending", "parties": parties}

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    poller = Poller("bench", DEFAULT_CONFIG, hook=object())
    held = []
    for i in range(n):
        spec = wait_spec("email", f"cm_parent_{i:016x}", "read", deadline=time.time() + 3600)
        trigger = LegallyMailWaitTrigger(spec.to_json())
        held.append((trigger, poller.subscribe(spec, decisive=True)))
        poller._observe(poller.watches[("email", spec.ids[0])], observation(i), time.time())
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / 1024 * 1000 / n


def build(sandbox: Any, n: int, rng: random.Random) -> list[Wait]:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from legallymail_sandbox.pdf import render_pdf

    hook = LegallyMailHook()
    hook.get_conn().budget.limit = 0  # setting up is not measured
    pdf = render_pdf("Contract", ["Sign"])
    waits = []
    for i in range(n):
        kind = rng.choice(["email", "email", "group", "signature", "sms"])
        late = min(HORIZON, rng.lognormvariate(6.4, 1.0))  # median ~600 s
        never = rng.random() < 0.15
        bad = rng.random() < 0.1
        if kind in ("email", "group"):
            to = [f"r{i}+{'bounce' if bad else 'noread'}@example.com"]
            if kind == "group":
                to.append(f"s{i}+noread@example.com")
            ident = hook.send_email(to, f"S{i}", "<p>x</p>").tracking_id
            if bad:
                waits.append(Wait("email", ident, "failed", 5.0))
            else:
                waits.append(Wait("email", ident, "timeout" if never else "reached", None if never else late))
                waits[-1].action = None if never else ("mark_read", ident)
        elif kind == "signature":
            signer = [{"name": "S", "email": f"p{i}+nosign@example.com"}]
            ident = hook.request_signature(pdf, "C.pdf", signer).uuid
            outcome = "timeout" if never else ("failed" if bad else "reached")
            waits.append(Wait("signature", ident, outcome, None if never else late))
            waits[-1].action = None if never else ("decline" if bad else "sign", ident)
        else:
            ident = hook.send_sms(f"+346{i:08d}" if not bad else f"+34600{i:03d}999", "x").uuid
            waits.append(Wait("sms", ident, "failed" if bad else "reached", 5.0))
    return waits


def drive(sandbox: Any, waits: list[Wait], start: float, stop: threading.Event) -> None:
    """Make the scheduled outcomes happen at their (sped-up) times."""
    for wait in sorted((w for w in waits if w.action), key=lambda w: w.change_at or 0.0):
        delay = start + (wait.change_at or 0.0) / SPEED - time.monotonic()
        if stop.wait(max(0.0, delay)):
            return
        action, ident = wait.action  # type: ignore[misc]
        getattr(sandbox, action)(ident)


async def stall_monitor(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        worst[0] = max(worst[0], time.perf_counter() - before - 0.005)


async def ours(waits: list[Wait], deadline: float, now: Callable[[], float]) -> None:
    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
    from airflow_provider_legallymail.waiting.wait import wait_spec

    async def one(wait: Wait) -> None:
        target = {"email": "read", "signature": "signed", "sms": "delivered"}[wait.kind]
        trigger = LegallyMailWaitTrigger(wait_spec(wait.kind, wait.ident, target, deadline=deadline).to_json())
        async for event in trigger.run():
            wait.outcome, wait.detected_at = event.payload["status"], now()
            return

    await asyncio.gather(*(one(w) for w in waits))


def checker() -> tuple[Any, Callable[[Wait], Awaitable[str | None]]]:
    """A hook (no retries, for the baselines) and an async check of one wait through the same decision."""
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.waiting.decision import Failed, Reached, decide
    from airflow_provider_legallymail.waiting.observations import fetch_observation
    from airflow_provider_legallymail.waiting.wait import wait_spec

    hook = LegallyMailHook()
    hook.get_conn().policy = type(hook.get_conn().policy)(max_retries=0)
    hook.get_conn().budget.limit = 0  # each baseline paces itself (or, like HttpSensor, does not)

    async def check(wait: Wait) -> str | None:
        target = {"email": "read", "signature": "signed", "sms": "delivered"}[wait.kind]
        spec = wait_spec(wait.kind, wait.ident, target, deadline=0)
        try:
            observation = await asyncio.to_thread(fetch_observation, hook, wait.kind, wait.ident)
        except Exception:
            return None
        decision = decide(spec, {wait.ident: observation}, time.time())
        return "reached" if isinstance(decision, Reached) else "failed" if isinstance(decision, Failed) else None

    return hook, check


async def http_sensor_pattern(waits: list[Wait], deadline: float, now: Callable[[], float]) -> None:
    _, check = checker()

    async def one(wait: Wait) -> None:
        await asyncio.sleep(random.random() * POKE_INTERVAL / SPEED)
        while time.time() < deadline:
            outcome = await check(wait)
            if outcome:
                wait.outcome, wait.detected_at = outcome, now()
                return
            await asyncio.sleep(POKE_INTERVAL / SPEED)
        wait.outcome = "timeout"

    await asyncio.gather(*(one(w) for w in waits))


async def _budgeted(budget: Any, check: Callable[[Wait], Awaitable[Any]], wait: Wait) -> Any:
    """One check on the baseline's budget, counted until its answer came back, as our client counts requests."""
    started = await asyncio.to_thread(budget.acquire)
    try:
        return await check(wait)
    finally:
        budget.settle(started)


async def round_robin(waits: list[Wait], deadline: float, now: Callable[[], float]) -> None:
    from airflow_provider_legallymail.client.budget import RequestBudget

    _, check = checker()
    budget = RequestBudget("round-robin", POLL_SHARE, window=60.0 / SPEED)
    pending = list(waits)
    while pending and time.time() < deadline:
        for wait in list(pending):
            if time.time() >= deadline:
                break
            outcome = await _budgeted(budget, check, wait)
            if outcome:
                wait.outcome, wait.detected_at = outcome, now()
                pending.remove(wait)
    for wait in pending:
        wait.outcome = "timeout"


def warm_up() -> None:
    """Import and build what a running triggerer already has, so the clock measures waiting only."""
    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
    from airflow_provider_legallymail.waiting.wait import wait_spec

    LegallyMailWaitTrigger(wait_spec("sms", "warm-up", "delivered", deadline=0).to_json())
    quiet_structlog()  # after Airflow configured its logging
    gc.collect()  # a full collection of the start-up heap (Airflow's imports) would stall the loop
    gc.freeze()  # a long-running triggerer has long since done both

    with contextlib.suppress(ImportError):
        import airflow.providers.common.compat.connection  # noqa: F401


async def fifo_oracle(waits: list[Wait], deadline: float, now: Callable[[], float]) -> None:
    """A clairvoyant poller on the same budget: it knows when each change happens and checks the changed
    waits first come, first served, never spending a request on an unchanged one."""
    from airflow_provider_legallymail.client.budget import RequestBudget

    _, check = checker()
    budget = RequestBudget("fifo-oracle", POLL_SHARE, window=60.0 / SPEED)
    pending = [w for w in waits if w.change_at is not None]
    while pending and time.time() < deadline:
        due = [w for w in pending if (w.change_at or 0.0) <= now()]
        if not due:
            await asyncio.sleep(0.001)
            continue
        wait = min(due, key=lambda w: w.change_at or 0.0)
        outcome = await _budgeted(budget, check, wait)
        if outcome:
            wait.outcome, wait.detected_at = outcome, now()
            pending.remove(wait)
    for wait in waits:
        wait.outcome = wait.outcome or "timeout"


def run(approach: str, n: int, seed: int) -> dict[str, Any]:
    from airflow_provider_legallymail.waiting import poller
    from legallymail_sandbox.config import SandboxConfig
    from legallymail_sandbox.server import SandboxServer

    os.environ["LEGALLYMAIL_PROVIDER_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-budget-")
    poller.DEFAULT_CLOCK = poller.sped_up(SPEED)
    with SandboxServer(SandboxConfig(speed=0.0, rate_limit=0, credits=10_000, sms_credits=10_000)) as sandbox:
        rpm = 0 if approach == "http_sensor" else 10
        os.environ.update(sandbox.connection_env(requests_per_minute=rpm))
        waits = build(sandbox, n, random.Random(seed))
        sandbox.set_rate_limit(10, 60.0 / SPEED)
        sent = len(sandbox.received(api="legallymail"))
        warm_up()  # a triggerer has imported the trigger and its modules before it runs one

        start = time.monotonic()
        sandbox.set_speed(SPEED)
        stop = threading.Event()
        driver = threading.Thread(target=drive, args=(sandbox, waits, start, stop), daemon=True)
        driver.start()
        deadline = time.time() + HORIZON * 1.5 / SPEED
        worst = [0.0]

        def now() -> float:
            return (time.monotonic() - start) * SPEED

        async def main() -> None:
            done = asyncio.Event()
            monitor = asyncio.create_task(stall_monitor(done, worst))
            approaches = {"ours": ours, "round_robin": round_robin, "http_sensor": http_sensor_pattern}
            body = {**approaches, "fifo_oracle": fifo_oracle}[approach]
            await body(waits, deadline, now)
            done.set()
            await monitor

        asyncio.run(main())
        stop.set()
        received = sandbox.received(api="legallymail")[sent:]
    delays = [w.detected_at - (w.change_at or 0.0) for w in waits if w.detected_at is not None and w.change_at]
    wrong = [w for w in waits if w.outcome != w.expected]
    return {
        "requests": len(received),
        "429": sum(1 for r in received if r["status"] == 429),
        "failed_waits": len(wrong),
        "median": statistics.median(delays) if delays else float("nan"),
        "p95": statistics.quantiles(delays, n=20)[-1] if len(delays) > 1 else float("nan"),
        "stall_ms": worst[0] * 1000,
        "wrong": [
            f"{w.kind} {w.ident}: expected {w.expected}, got {w.outcome} (change {w.change_at}, seen {w.detected_at})"
            for w in wrong
        ],
    }


def main() -> None:
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1)  # kill -USR1 <pid> prints every thread's stack

    logging.disable(logging.WARNING)
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    print(f"Sensor fleet: sandbox at {SPEED:.0f}x, 10 requests per sandbox minute, outcomes over {HORIZON:.0f} s")
    print(
        f"  {'N':>4} {'approach':12} {'requests':>8} {'429s':>6} {'failed':>6} {'median s':>9} {'p95 s':>8} "
        f"{'stall ms':>8}"
    )
    for n in sizes:
        rows = {a: run(a, n, seed=n) for a in ("ours", "round_robin", "http_sensor", "fifo_oracle")}
        for approach, r in rows.items():
            print(
                f"  {n:>4} {approach:12} {r['requests']:>8} {r['429']:>6} {r['failed_waits']:>6} "
                f"{r['median']:>9.0f} {r['p95']:>8.0f} {r['stall_ms']:>8.1f}"
            )
        ours_, rr, http, oracle = rows["ours"], rows["round_robin"], rows["http_sensor"], rows["fifo_oracle"]
        print(
            f"  {n:>4} ratios: median delay round-robin/ours {rr['median'] / max(ours_['median'], 1e-9):.1f}x "
            f"(round-robin/fifo-oracle {rr['median'] / max(oracle['median'], 1e-9):.1f}x), "
            f"requests http-sensor/ours {http['requests'] / max(ours_['requests'], 1):.1f}x, "
            f"429s http-sensor {http['429']} vs ours {ours_['429']}"
        )
        for wrong in ours_["wrong"]:
            print(f"  {n:>4} ours failed: {wrong}")
    print(f"  Memory: {memory_per_1000_waits():.0f} KB per 1,000 waiting triggers (tracemalloc, N = 5,000)")


def quiet_structlog() -> None:
    """The triggers' per-change info lines (Airflow logs through structlog) would bury the table."""
    with contextlib.suppress(ImportError):
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


if __name__ == "__main__":
    main()
