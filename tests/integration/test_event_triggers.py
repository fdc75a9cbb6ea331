"""Event triggers against the sandbox: each outcome starts the consumer once, across restarts, in budget.

Without a scheduler and triggerer, the tests do what they do: run the watcher's trigger (rebuilt from its
``serialize()`` kwargs, as the triggerer does) in an event loop, turn each event into an asset event as
``Trigger.submit_event`` does (``extra={"from_trigger": True, "payload": ...}``), and run the consumer DAG
with those events attached as the scheduler attaches them (``dag.test()``, through ``demo.assets``).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from demo.assets import asset_uris, events_attached
from demo.watchers import rebuilt
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, run, states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")
CONSUMER = """
        import sqlite3
        from airflow.sdk import Asset, AssetWatcher
        from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
        from airflow_provider_legallymail.triggers.legallymail import (
            CertifiedEmailEventTrigger, SignatureEventTrigger,
        )

        signed = Asset("legallymail_signed", watchers=[AssetWatcher("signed", trigger=SignatureEventTrigger(
            statuses=["signed"], poll_interval=5, event_spacing=0, state_path="{state}", ledger_path="{ledger}"))])
        read = Asset("legallymail_read", watchers=[AssetWatcher("read", trigger=CertifiedEmailEventTrigger(
            statuses=["read"], poll_interval=5, event_spacing=0, state_path="{state}", ledger_path="{ledger}"))])

        with DAG("on_outcome", schedule=(signed | read), start_date=pendulum.datetime(2024, 1, 1)) as dag:

            @task
            def outcomes(triggering_asset_events=None):
                return [e.extra["payload"] for events in triggering_asset_events.values() for e in events]

            @task
            def record(payloads):
                with sqlite3.connect("{table}") as db:
                    db.execute("create table if not exists outcomes (id text, kind text, status text, at text)")
                    db.executemany("insert into outcomes values (?, ?, ?, ?)",
                                   [(p["id"], p["kind"], p["status"], p["reached_at"]) for p in payloads])

            found = outcomes()
            ArchiveEvidenceOperator(task_id="archive", evidence=found, destination="{archive}")
            record(found)
"""


def served(sandbox: SandboxServer) -> tuple[int, int]:
    """(status reads, downloads) the sandbox has served so far."""
    paths = [r["path"] for r in sandbox.received(api="legallymail", method="GET")]
    return sum(1 for p in paths if p.startswith("/api/") and p != "/api/info"), sum(
        1 for p in paths if not p.startswith("/api/")
    )


@pytest.fixture(autouse=True)
def fast(sped_up: SandboxServer) -> SandboxServer:
    return sped_up


def initialized(trigger: Any) -> bool:
    """Has the watcher recorded its baseline (its seen-state says so)?"""
    if not hasattr(trigger, "state_name"):  # a wait, not a watcher
        return True
    path = Path(trigger.state_path) / f"{trigger.state_name()}.json"
    return path.exists() and json.loads(path.read_text()).get("initialized") is True


def awaiting(task: Any) -> list[str]:
    """Where a task waits: the chain of coroutines and async generators it is suspended in."""
    chain, frame = [], task.get_coro()
    while frame is not None:
        code = getattr(frame, "cr_code", None) or getattr(frame, "ag_code", None)
        chain.append(f"{getattr(code, 'co_filename', frame)}:{getattr(code, 'co_name', '')}")
        frame = getattr(frame, "cr_await", None) or getattr(frame, "ag_await", None)
    return chain


def failed(task: asyncio.Task[None]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is not None


async def collect(
    triggers: list[Any], done: Callable[[list[dict[str, Any]]], bool], act: Any = None, by: list[int] | None = None
) -> list[Any]:
    """Run ``triggers`` as the triggerer does until ``done(payloads)``; ``act`` runs in a thread meanwhile.

    ``by`` receives the index of the trigger that fired each payload.
    """
    got: list[dict[str, Any]] = []

    async def one(index: int, trigger: Any) -> None:
        async for event in trigger.run():
            await asyncio.sleep(0)  # the triggerer logs (awaits) before it queues the event
            got.append(event.payload)
            if by is not None:
                by.append(index)

    tasks = [asyncio.create_task(one(i, t)) for i, t in enumerate(triggers)]
    for _ in range(600):  # a new watcher first takes its baseline: act once every watcher has
        if all(initialized(t) for t in triggers) or any(failed(t) for t in tasks):
            break
        await asyncio.sleep(0.05)
    if act is not None:
        await asyncio.wait_for(asyncio.to_thread(act), 120)
    for _ in range(2400):  # a safety bound (2 minutes), not a timing assertion
        if done(got) or any(failed(t) for t in tasks):
            break
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    _finished, stuck = await asyncio.wait(tasks, timeout=60)  # a safety bound: cancelled triggers must stop
    assert not stuck, [awaiting(task) for task in stuck]
    return got


def contract(hook: LegallyMailHook, signer: str) -> str:
    pdf = render_pdf("Contract", [signer])
    return hook.request_signature(pdf, "Contract.pdf", [{"name": "Signer", "email": signer}]).uuid


def test_a_watched_asset_runs_the_consumer_once_per_signed_contract_and_read_email(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    table = tmp_path / "crm.sqlite"
    body = CONSUMER.format(state=tmp_path / "state", ledger=tmp_path / "ledger", table=table, archive=tmp_path / "ev")
    dag = load_dag("on_outcome", body)
    watchers = {a.name: a.watchers[0].trigger for a in dag.timetable.asset_condition.objects}
    hook = LegallyMailHook()
    sent: dict[str, list[str]] = {"signature": [], "email": []}

    def send() -> None:
        sent["signature"] += [contract(hook, "ana@example.com"), contract(hook, "bob@example.com")]
        sent["signature"].append(contract(hook, "eve+decline@example.com"))  # declined: not announced here
        sent["email"] += [hook.send_email(["carl@example.com"], "Notice", "<p>n</p>").tracking_id]
        group = hook.send_email(["dan@example.com", "fay@example.com"], "Group", "<p>g</p>")
        sent["email"].append(group.tracking_id)

    triggers = [rebuilt(watchers["legallymail_signed"]), rebuilt(watchers["legallymail_read"])]
    payloads = asyncio.run(collect(triggers, lambda got: len(got) >= 4, send))

    by_kind = {k: sorted(p["id"] for p in payloads if p["kind"] == k) for k in ("signature", "email")}
    assert by_kind == {"signature": sorted(sent["signature"][:2]), "email": sorted(sent["email"])}
    assert {(p["kind"], p["status"]) for p in payloads} == {("signature", "signed"), ("email", "read")}
    group = next(p for p in payloads if p["id"] == sent["email"][1])
    assert {r["who"] for r in group["recipients"]} == {"dan@example.com", "fay@example.com"}
    assert all(c["url"] and c["hash"] for c in group["certificates"])
    signature = next(p for p in payloads if p["kind"] == "signature")
    assert signature["document_name"] == "Contract.pdf" and signature["documents"]["acta"]
    assert sandbox.legallymail_token not in repr(payloads)

    fired = {
        "legallymail_signed": [p for p in payloads if p["kind"] == "signature"],
        "legallymail_read": [p for p in payloads if p["kind"] == "email"],
    }
    before = served(sandbox)
    with events_attached(dag.dag_id, asset_uris(dag), fired):  # as the triggerer and the scheduler would
        dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    status_reads, downloads = (after - was for after, was in zip(served(sandbox), before, strict=True))
    assert status_reads == 0 and downloads == xcom(dag_run, "archive")["downloaded"] > 0  # from the payloads
    archived = {(a["kind"], a["id"]) for a in xcom(dag_run, "archive")["archives"]}
    assert archived == {("signature", i) for i in sent["signature"][:2]} | {("email", i) for i in sent["email"]}
    with sqlite3.connect(table) as db:
        rows = db.execute("select kind, id, status from outcomes").fetchall()
    assert sorted(rows) == sorted((p["kind"], p["id"], p["status"]) for p in payloads)
