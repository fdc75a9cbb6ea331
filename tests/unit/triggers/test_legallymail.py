"""The trigger and its shared poller against the sandbox over real HTTP, many waits on one event loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, cast

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
from airflow_provider_legallymail.waiting import poller
from airflow_provider_legallymail.waiting.wait import wait_spec
from demo.watchers import rebuilt
from legallymail_sandbox.server import SandboxServer

SPEED = 120.0  # sandbox seconds per real second: a read (30 s) arrives in 0.25 s


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, sleeps: list[float]) -> SandboxServer:
    """The sandbox's clock and its 10-per-minute limit both run SPEED times faster, and so does the poller."""
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(SPEED))
    for name, value in sandbox.connection_env(requests_per_minute=10).items():
        monkeypatch.setenv(name, value)
    sandbox.set_rate_limit(10, 60.0 / SPEED)
    sandbox.set_speed(SPEED)
    return sandbox


async def first_event(trigger: LegallyMailWaitTrigger) -> dict[str, Any]:
    async with aclosing(cast(AsyncGenerator[TriggerEvent, None], trigger.run())) as events:
        async for event in events:
            return dict(event.payload)
    raise AssertionError("no event")


def payload(trigger: LegallyMailWaitTrigger) -> dict[str, Any]:
    return asyncio.run(first_event(trigger))


def test_serialize_round_trips_and_a_restarted_triggerer_resumes_the_same_wait(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(SPEED))
    for name, value in sandbox.connection_env(requests_per_minute=0).items():
        monkeypatch.setenv(name, value)
    hook = LegallyMailHook()
    sent = hook.send_email(["ana@example.com", "bob+noread@example.com"], "Contract", "<p>x</p>")
    spec = wait_spec("email", sent.tracking_id, "read", ["ana@example.com"], deadline=time.time() + 600)
    trigger = LegallyMailWaitTrigger(spec.to_json(), carry={"note": "kept"})
    again = rebuilt(trigger)
    assert again.serialize() == trigger.serialize()
    assert again.spec["deadline"] == spec.deadline  # the absolute deadline survives the restart
    sandbox.advance(60)
    event = payload(again)
    assert event["status"] == "reached" and event["carry"] == {"note": "kept"}
    ana = event["result"]["recipients"][0]
    assert ana["who"] == "ana@example.com" and ana["status"] == "read"
    assert {c["type"] for c in ana["certificates"]} >= {"read"} and ana["certificates"][0]["url"].startswith("http")


def test_many_waits_share_one_poller_stay_under_the_budget_and_never_block_the_loop(
    fast: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    from airflow_provider_legallymail.client import budget

    fast.set_speed(0)  # send first, then let time run
    fast.set_rate_limit(0)  # the sends themselves are not what is measured
    hook = LegallyMailHook()
    hook.get_conn().budget.limit = 0
    emails = [hook.send_email([f"r{i}@example.com"], "S", "<p>x</p>").tracking_id for i in range(12)]
    group = hook.send_email(["g1@example.com", "g2+bounce@example.com"], "G", "<p>x</p>").tracking_id
    sms = [hook.send_sms(f"+3460000{i:04d}", "hi").uuid for i in range(4)]
    signature = hook.request_signature(_pdf(), "C.pdf", [{"name": "S", "email": "s@example.com"}]).uuid
    deadline = time.time() + 60
    specs = [wait_spec("email", t, "read", deadline=deadline) for t in emails]
    specs += [wait_spec("email", t, "delivered", deadline=deadline) for t in emails[:4]]  # same ids again
    specs += [wait_spec("email", group, "read", ["g1@example.com"], deadline=deadline)]
    specs += [wait_spec("email", group, "delivered", deadline=deadline)]
    specs += [wait_spec("sms", u, "delivered", deadline=deadline) for u in sms]
    specs += [wait_spec("signature", signature, "signed", deadline=deadline)]

    loop_threads: set[int] = set()
    blocking: list[str] = []
    original_request, original_lock = requests.Session.request, budget.RequestBudget._locked_state

    def on_loop_thread(what: str) -> None:
        if threading.get_ident() in loop_threads:
            blocking.append(what)

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        on_loop_thread("HTTP request")
        return original_request(self, *args, **kwargs)

    def locked(self: Any) -> Any:
        on_loop_thread("budget file lock")
        return original_lock(self)

    monkeypatch.setattr(requests.Session, "request", request)
    monkeypatch.setattr(budget.RequestBudget, "_locked_state", locked)

    async def main() -> list[dict[str, Any]]:
        loop_threads.add(threading.get_ident())
        try:
            return await asyncio.gather(*(first_event(LegallyMailWaitTrigger(s.to_json())) for s in specs))
        finally:
            loop_threads.clear()  # asyncio.run ran the loop on this thread; the test's own calls follow

    fast.set_rate_limit(10, 60.0 / SPEED)
    fast.set_speed(SPEED)
    events = asyncio.run(main())

    statuses = [e["status"] for e in events]
    assert statuses[:16] == ["reached"] * 16
    assert statuses[16] == "reached"  # g1 read, although g2 bounced and the group says pending
    assert events[17]["status"] == "failed" and events[17]["who"] == "g2+bounce@example.com"
    assert "Hard Bounce" in events[17]["reason"]
    assert statuses[18:22] == ["reached"] * 4 and statuses[22] == "reached"
    seen = fast.received(api="legallymail", method="GET")
    assert [r for r in seen if r["status"] == 429] == []
    per_email = [r for r in seen if r["path"] == "/api/email"]
    assert len(per_email) < len(specs)  # de-duplicated, and list requests stand in for single GETs
    assert any(r["path"] == "/api/emails" for r in seen)
    assert blocking == []  # no HTTP and no budget-file lock ever ran on the event loop's thread


def _pdf() -> bytes:
    from legallymail_sandbox.pdf import render_pdf

    return render_pdf("Contract", ["Sign here"])


def test_unknown_ids_fail_the_wait_and_5xx_and_429_are_absorbed(fast: SandboxServer) -> None:
    fast.set_speed(0)
    hook = LegallyMailHook()
    uuid = hook.send_sms("+34600000001", "hello").uuid
    fast.fault("legallymail", "GET", "/api/sms", status=503, count=4)
    fast.set_speed(SPEED)
    deadline = time.time() + 60
    event = payload(LegallyMailWaitTrigger(wait_spec("sms", uuid, "delivered", deadline=deadline).to_json()))
    assert event["status"] == "reached"
    missing = payload(LegallyMailWaitTrigger(wait_spec("sms", "nope", "delivered", deadline=deadline).to_json()))
    assert missing["status"] == "error" and "404" in missing["message"]
    assert fast.legallymail_token not in str(missing)


def test_the_deadline_ends_the_wait_with_a_timeout_event(fast: SandboxServer) -> None:
    hook = LegallyMailHook()
    tracking_id = hook.send_email(["never+noread@example.com"], "S", "<p>x</p>").tracking_id
    spec = wait_spec("email", tracking_id, "read", deadline=time.time() + 0.5)
    event = payload(LegallyMailWaitTrigger(spec.to_json()))
    assert event["status"] == "timeout" and tracking_id in event["message"]


async def poller_clock(conn_id: str) -> tuple[float, float]:
    """The shared poller's clock speed (API seconds per real second) for ``conn_id`` once it has read its
    connection, and the real seconds of its request budget's window."""
    async with poller.shared_poller(conn_id) as shared:
        for _ in range(600):  # a safety bound, not a timing assertion
            if shared._hook is not None and shared._reserve:
                break
            await asyncio.sleep(0.01)
        return shared.speed, shared._budget().window


def test_a_sped_up_sandbox_tells_the_waits_its_speed_through_the_connection(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.set_speed(SPEED)  # as `legallymail-sandbox --speed 120`: its printed connections carry the speed
    env = sandbox.connection_env()
    assert json.loads(env["AIRFLOW_CONN_LEGALLYMAIL_DEFAULT"])["extra"] == {"sandbox_speed": SPEED}
    assert json.loads(env["AIRFLOW_CONN_LEGITMAILER_DEFAULT"])["extra"] == {}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert poller.DEFAULT_CLOCK().speed == 1.0
    # An hour-old request is an hour old; the budget stays 10 per real minute, as the sandbox's rate limit.
    assert asyncio.run(poller_clock("legallymail_default")) == (SPEED, 60.0)

    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(30.0))  # a set speed stays
    assert asyncio.run(poller_clock("legallymail_default")) == (30.0, 2.0)  # its budget scaled with it
    sandbox.set_speed(1.0)
    assert json.loads(sandbox.connection_env()["AIRFLOW_CONN_LEGALLYMAIL_DEFAULT"])["extra"] == {}
