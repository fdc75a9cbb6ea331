"""The event pages' DAGs (docs/snippets/events_*.py, trigger_event_watchers.py): each watcher's trigger runs as a
triggerer runs it (rebuilt from its kwargs), and the consumer DAG runs with the events it fired attached as the
scheduler attaches them (``demo.assets``), against a sped-up sandbox."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from demo.assets import asset_uris, assets_of, events_attached
from demo.watchers import rebuilt
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import load_dag, load_snippet, run, states, xcom
from tests.integration.conftest import DAG_SPEED
from tests.integration.test_event_triggers import collect, contract

pytestmark = pytest.mark.usefixtures("airflow_db", "connect")


def watchers(dag: Any, state: Path) -> dict[str, Any]:
    """Asset name -> its watcher's trigger as a triggerer would run it (a test's own state, no spacing)."""
    return {
        asset.name: rebuilt(asset.watchers[0].trigger, state_path=str(state), event_spacing=0, poll_interval=5)
        for asset in assets_of(dag.timetable.asset_condition)
    }


def resume(sandbox: SandboxServer) -> None:
    """Let the sandbox's time run again, and a few minutes pass: what was sent is signed, read or failed."""
    sandbox.set_speed(DAG_SPEED)
    sandbox.advance(600)


def test_each_signed_contract_starts_the_consumer_which_archives_and_records_it(
    sped_up: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "acme.pdf").write_bytes(render_pdf("Contract", ["Acme"]))
    crm = tmp_path / "crm.sqlite"
    with sqlite3.connect(crm) as db:
        db.execute("create table signed_contracts (signature_uuid text, status text, signed_at text, event_id text)")
    monkeypatch.setenv("AIRFLOW_CONN_CRM_DB", json.dumps({"conn_type": "sqlite", "host": str(crm)}))
    sped_up.set_speed(0)  # nothing is signed before the watcher has started
    send = load_snippet("events_contracts_send", {"s3://bucket/contracts": f"file://{tmp_path / 'contracts'}"})
    sent = run(send, customer="acme", name="Ana García", email="ana@example.com")
    assert states(sent) == {"sign": ("success", 1)}
    uuid = xcom(sent, "sign")["uuid"]

    consumer = load_snippet("events_contracts_signed", {"s3://legal-archive/evidence": str(tmp_path / "evidence")})
    (trigger,) = watchers(consumer, tmp_path / "state").values()
    payloads = asyncio.run(collect([trigger], lambda got: len(got) >= 1, lambda: resume(sped_up)))
    (payload,) = payloads
    assert (payload["kind"], payload["id"], payload["status"]) == ("signature", uuid, "signed")
    assert payload["event_id"] == f"signature:{uuid}:signed" and payload["documents"]["acta"]
    assert sped_up.legallymail_token not in repr(payload)

    with events_attached(consumer.dag_id, asset_uris(consumer), {"legallymail_contract_signed": payloads}):
        dag_run = run(consumer)
    assert set(states(dag_run).values()) == {("success", 1)}
    (archive,) = xcom(dag_run, "archive")["archives"]
    assert archive["id"] == uuid and Path(archive["manifest"].removeprefix("file://")).is_file()
    with sqlite3.connect(crm) as db:
        rows = db.execute("select signature_uuid, status, signed_at, event_id from signed_contracts").fetchall()
    assert rows == [(uuid, "signed", payload["reached_at"], payload["event_id"])]


def test_each_watcher_announces_only_its_statuses_and_one_consumer_handles_them_all(
    sped_up: SandboxServer, tmp_path: Path
) -> None:
    sped_up.set_speed(0)
    hook = LegallyMailHook()
    signed = contract(hook, "ana@example.com")
    declined = contract(hook, "eve+decline@example.com")
    read = hook.send_email(["carl@example.com"], "Notice", "<p>n</p>").tracking_id
    hook.send_email(["dora+noread@example.com"], "Notice", "<p>n</p>")  # delivered, never read: no event
    sms_dag = load_dag(
        "two_sms",
        """
        with DAG("two_sms", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SmsOperator(task_id="fails", phone="+34600000999", message="x")
            SmsOperator(task_id="delivered", phone="+34600000001", message="x")  # delivered: not watched here
        """,
    )
    sms_run = run(sms_dag)  # the SMS watcher sees SMS sent through the provider's operators (their ledgers)
    failed_sms = xcom(sms_run, "fails")["uuid"]

    consumer = load_snippet("trigger_event_watchers")
    triggers = watchers(consumer, tmp_path / "state")
    assert sorted(triggers) == ["legallymail_contract_outcome", "legallymail_notice_read", "legallymail_sms_failed"]
    names = list(triggers)
    fired_by: list[int] = []
    payloads = asyncio.run(
        collect(list(triggers.values()), lambda got: len(got) >= 4, lambda: resume(sped_up), fired_by)
    )
    got = {(p["kind"], p["id"], p["status"]) for p in payloads}
    assert got == {
        ("signature", signed, "signed"),
        ("signature", declined, "declined"),
        ("email", read, "read"),
        ("sms", failed_sms, "failed"),
    }
    fired: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for index, payload in zip(fired_by, payloads, strict=True):
        fired[names[index]].append(payload)
    with events_attached(consumer.dag_id, asset_uris(consumer), fired):
        dag_run = run(consumer)
    assert sorted(xcom(dag_run, "handle")) == sorted(
        [
            f"legallymail_contract_outcome: signature {signed} signed",
            f"legallymail_contract_outcome: signature {declined} declined",
            f"legallymail_notice_read: email {read} read",
            f"legallymail_sms_failed: sms {failed_sms} failed",
        ]
    )


def test_the_wait_trigger_fires_one_event_per_wait_reached_failed_timeout_or_error(
    sped_up: SandboxServer, lm_hook: LegallyMailHook
) -> None:
    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
    from airflow_provider_legallymail.waiting.wait import wait_spec

    def fire(uuid: str, seconds: float) -> dict[str, Any]:
        """The one event of a wait on ``uuid``, from the trigger a triggerer rebuilds from its kwargs."""
        spec = wait_spec("sms", uuid, "delivered", deadline=time.time() + seconds)
        trigger = rebuilt(LegallyMailWaitTrigger(spec.to_json(), carry={"sent": uuid}))

        async def events() -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        (event,) = asyncio.run(events())
        return event

    delivered = lm_hook.send_sms("+34600000001", "x").uuid
    reached = fire(delivered, 120)
    assert reached["status"] == "reached" and reached["carry"] == {"sent": delivered}
    assert reached["result"]["outcome"] == "reached" and reached["result"]["reached"] == ["+34600000001"]
    failed = fire(lm_hook.send_sms("+34600000999", "x").uuid, 120)
    assert (failed["status"], failed["who"], failed["result"]["outcome"]) == ("failed", "+34600000999", "failed")
    assert failed["reason"]
    unknown = fire("0b0e5a4e-0000-4000-8000-000000000000", 120)
    assert unknown["status"] == "error" and unknown["message"]
    sped_up.set_speed(0)  # nothing is delivered any more: the deadline comes first
    timeout = fire(lm_hook.send_sms("+34600000002", "x").uuid, 1)
    assert timeout["status"] == "timeout" and timeout["result"]["pending"] == ["+34600000002"]


def test_an_unknown_status_fails_when_the_dag_is_parsed_naming_the_field() -> None:
    from airflow_provider_legallymail.exceptions import ValidationError

    with pytest.raises(ValidationError, match="statuses: 'undelivered' is not one of delivered, failed"):
        load_snippet("trigger_event_watchers", {'statuses=["failed"]': 'statuses=["undelivered"]'})
