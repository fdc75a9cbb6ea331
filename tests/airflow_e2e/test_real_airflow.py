"""The example DAGs under a real scheduler, dag-processor, triggerer and api-server (LocalExecutor, SQLite),
driven and checked through the REST API as an operator of the platform would.

Run with ``make test-airflow`` (the default ``pytest`` run deselects the ``airflow_e2e`` marker).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.evidence.manifest import verify_archive
from demo.examples import EXAMPLES_FOLDER
from example_dags.example_contract_signing import open_contracts
from legallymail_sandbox.middleware import token_digest
from legallymail_sandbox.server import SandboxServer
from tests.airflow_e2e.api import RUN_TERMINAL, AirflowApi
from tests.airflow_e2e.stack import AirflowStack

pytestmark = pytest.mark.airflow_e2e

SIGNING, SIGNED_UPDATE = "example_contract_signing", "example_contract_signed_update"
EVENTS = "example_signed_contract_events"  # started by an AssetWatcher on signatures
COMMON_FIELDS = {"timeout", "max_retries", "requests_per_minute", "rate_window", "timezone"}


def test_the_dag_processor_parses_every_example_without_import_errors(api: AirflowApi) -> None:
    for path in sorted(EXAMPLES_FOLDER.glob("example_*.py")):
        dag = api.wait_for_dag(path.stem)
        assert dag["is_paused"] is True  # new DAGs wait until someone unpauses them
    assert api.import_errors() == []


def contracts(db: Path) -> dict[str, dict[str, Any]]:
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return {row["contract_id"]: dict(row) for row in conn.execute("SELECT * FROM contracts")}


def watcher_states(stack: AirflowStack) -> list[dict[str, Any]]:
    """The event triggers' seen-states, as the triggerer keeps them in Airflow 3.3's asset state store."""
    database = Path(stack.env["AIRFLOW_HOME"]) / "airflow.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        rows = db.execute("SELECT value FROM asset_state_store WHERE key LIKE 'legallymail-events:%'").fetchall()
    return [json.loads(value) for (value,) in rows]


def test_contract_signing_waits_deferred_survives_a_triggerer_restart_and_the_asset_dags_archive_and_mark(
    api: AirflowApi, stack: AirflowStack, e2e_sandbox: SandboxServer, places: dict[str, Path]
) -> None:
    # Signers who sign only when the test says so (+nosign, then the control API): the restart comes first.
    # The sandbox runs at x120 and the connections say so (sandbox_speed): the triggerer's poller counts its
    # seconds, as it does for a user running `legallymail-sandbox --speed 120` beside `airflow standalone`.
    assert json.loads(stack.env["AIRFLOW_CONN_LEGALLYMAIL_DEFAULT"])["extra"]["sandbox_speed"] == e2e_sandbox.speed
    with closing(open_contracts(str(places["contracts_db"]))) as db, db:
        db.execute("UPDATE contracts SET email = replace(email, '@', '+nosign@')")
    for dag_id in (SIGNING, SIGNED_UPDATE, EVENTS):
        api.wait_for_dag(dag_id)
    # The watcher runs once its DAG is unpaused; it announces what happens after its first look (its baseline).
    api.set_paused(EVENTS, False)
    api.wait(
        "the signature watcher's baseline in the asset state store",
        lambda: True if any(state.get("initialized") for state in watcher_states(stack)) else None,
        timeout=120,
    )
    api.set_paused(SIGNED_UPDATE, False)  # a paused consumer would not be queued by the asset events
    api.set_paused(SIGNING, False)  # @daily, catchup=False: the scheduler starts the latest day's run at once

    def scheduled_run() -> str | None:
        return next((r["dag_run_id"] for r in api.runs(SIGNING) if r["run_type"] == "scheduled"), None)

    run_id = api.wait("the scheduled run of example_contract_signing", scheduled_run, timeout=120)
    waits = [f"request_signature[{index}]" for index in range(3)]  # wait_for="signed": sent, then deferred
    for wait in waits:
        api.wait_for_task(SIGNING, run_id, wait, states={"deferred"})
    pool = api.call("GET", "/api/v2/pools/default_pool")
    assert pool["deferred_slots"] >= 3 and pool["running_slots"] == 0  # in the triggerer, no worker slot held
    sends = [api.xcom(SIGNING, run_id, "request_signature", "legallymail_sends", index) for index in range(3)]
    uuids = {send["uuid"] for (send,) in sends}  # what each task sent before deferring
    assert len(uuids) == 3

    before = stack.processes["triggerer"].pid
    stack.restart("triggerer")  # the waits it held must be picked up by the new process
    assert stack.processes["triggerer"].pid != before
    assert {api.task_instances(SIGNING, run_id)[wait][0] for wait in waits} == {"deferred"}
    for uuid in uuids:
        assert e2e_sandbox.sign(uuid) == "signed"

    assert api.wait_for_run(SIGNING, run_id, timeout=240) == "success"
    assert set(api.task_instances(SIGNING, run_id).values()) == {("success", 1)}  # no retry, no second try
    assert [r["dag_run_id"] for r in api.runs(SIGNING)] == [run_id]
    requests = e2e_sandbox.received(api="legallymail", method="POST", path="/api/signature/send")
    sent = sorted((r["json"]["document_name"], r["json"]["signer_email"]) for r in requests)
    table = contracts(places["contracts_db"])
    assert sent == sorted((f"{key}.pdf", row["email"]) for key, row in table.items())  # one request per contract
    archived = set()
    for index in range(3):
        (archive,) = api.xcom(SIGNING, run_id, "archive_contract", map_index=index)["archives"]
        assert archive["status"] == "signed" and set(archive["files"]) == {"original.pdf", "acta.pdf"}
        assert verify_archive(archive["location"]).ok
        archived.add(archive["id"])
    assert archived == uuids
    assert sorted(p.name for p in (places["evidence_dir"] / "contracts").iterdir()) == sorted(uuids)

    def all_marked() -> list[dict[str, Any]] | None:
        runs = api.runs(SIGNED_UPDATE)
        table = contracts(places["contracts_db"])
        done = runs and all(r["state"] in RUN_TERMINAL for r in runs)
        return runs if done and {row["status"] for row in table.values()} == {"signed"} else None

    runs = api.wait("the Asset-scheduled DAG marked every contract signed", all_marked, timeout=180)
    assert [(r["state"], r["run_type"]) for r in runs] == [("success", "asset_triggered")]  # one event, one run
    marked = [uuid for r in runs for uuid in api.xcom(SIGNED_UPDATE, r["dag_run_id"], "mark_signed")]
    assert sorted(marked) == sorted(uuids)  # each contract marked once, however the events were batched
    for row in contracts(places["contracts_db"]).values():
        assert verify_archive(row["manifest"]).ok

    # With no waiting task: the watcher announced each signature once, across the triggerer restart, and
    # the scheduler started one run per signed contract (the watcher spaces its events), each archiving it.
    def events_archived() -> list[dict[str, Any]] | None:
        runs = api.runs(EVENTS)
        if len(runs) < len(uuids) or any(r["state"] not in RUN_TERMINAL for r in runs):
            return None
        return runs

    runs = api.wait("a run of example_signed_contract_events per signed contract", events_archived, timeout=240)
    assert [(r["state"], r["run_type"]) for r in runs] == [("success", "asset_triggered")] * len(uuids)
    recorded = [line for r in runs for line in api.xcom(EVENTS, r["dag_run_id"], "record_signed")]
    assert sorted(line["uuid"] for line in recorded) == sorted(uuids)  # each contract archived once
    for line in recorded:
        assert Path(line["manifest"]).parent == places["evidence_dir"] / "contracts" / line["uuid"]
        assert verify_archive(line["manifest"]).ok
    (state,) = watcher_states(stack)
    assert all(state["items"][uuid]["emitted"] == ["signed"] for uuid in uuids)


def test_both_connection_types_offer_their_form_fields(api: AirflowApi) -> None:
    types = api.connection_types()
    legallymail, legitmailer = types["legallymail"], types["legitmailer"]
    assert legallymail["hook_class_name"] == "airflow_provider_legallymail.hooks.legallymail.LegallyMailHook"
    assert legitmailer["hook_class_name"] == "airflow_provider_legallymail.hooks.legitmailer.LegitmailerHook"
    legallymail_only = {"credentials_in_body", "max_recipients", "settle_seconds"}
    assert set(legallymail["extra_fields"]) == COMMON_FIELDS | legallymail_only
    assert set(legitmailer["extra_fields"]) == COMMON_FIELDS
    timeout = legallymail["extra_fields"]["timeout"]
    assert timeout["schema"]["default"] == 30 and timeout["schema"]["title"] == "Request timeout (seconds)"
    for meta, placeholder in ((legallymail, "https://legallymail.com"), (legitmailer, "https://app.legitmailer.com")):
        host, token = meta["standard_fields"]["host"], meta["standard_fields"]["password"]
        assert (host["title"], host["placeholder"], token["title"]) == ("API base URL", placeholder, "API token")
        assert meta["standard_fields"]["login"]["hidden"] is True


def test_test_connection_from_the_api_tells_a_good_token_from_a_bad_one(
    api: AirflowApi, e2e_sandbox: SandboxServer
) -> None:
    good = {
        "connection_id": "lm_checked",
        "conn_type": "legallymail",
        "host": e2e_sandbox.legallymail_url,
        "password": e2e_sandbox.legallymail_token,
    }
    ok, message = api.test_connection(good)
    assert ok, message
    refused, why = api.test_connection({**good, "password": "not-the-token"})
    assert not refused and "401" in why
    lt_ok, lt_message = api.test_connection(
        {
            "connection_id": "lt_checked",
            "conn_type": "legitmailer",
            "host": e2e_sandbox.legitmailer_url,
            "password": e2e_sandbox.legitmailer_token,
        }
    )
    assert lt_ok, lt_message


def test_a_new_watcher_announces_what_happens_after_it_starts_not_what_was_delivered_before(
    api: AirflowApi, stack: AirflowStack, e2e_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

    dag_id = "e2e_watch_history"
    api.wait_for_dag(dag_id)
    for name, value in e2e_sandbox.connection_env(requests_per_minute=0).items():
        monkeypatch.setenv(name, value)  # this process sends through the same sandbox
    hook = LegallyMailHook()
    before = hook.send_email(["early+noread@example.com"], "Before", "<p>x</p>").tracking_id
    api.wait("the early email delivered", lambda: hook.get_email(before).status.value == "delivered" or None, 60)
    api.set_paused(dag_id, False)
    api.wait(
        "the email watcher's baseline",
        lambda: True if any(s.get("initialized") and before in s["items"] for s in watcher_states(stack)) else None,
        timeout=120,
    )
    after = hook.send_email(["late+noread@example.com"], "After", "<p>x</p>").tracking_id

    def finished_runs() -> list[dict[str, Any]] | None:
        runs = api.runs(dag_id)
        return runs if runs and all(r["state"] in RUN_TERMINAL for r in runs) else None

    runs = api.wait("a run for the email delivered after the watcher started", finished_runs, timeout=180)
    announced = [pair for r in runs for pair in api.xcom(dag_id, r["dag_run_id"], "announced")]
    assert announced == [[after, "delivered"]]  # the early one was delivered before: history, no run


def ui_form(connection_id: str, e2e_sandbox: SandboxServer, **extra: Any) -> dict[str, Any]:
    """A LegallyMail connection as the UI's form posts it: every standard field, the extras as a JSON string."""
    return {
        "connection_id": connection_id,
        "conn_type": "legallymail",
        "description": "",
        "host": e2e_sandbox.legallymail_url,
        "login": "",
        "schema": "",
        "port": None,
        "password": e2e_sandbox.legallymail_token,
        "extra": json.dumps({"timeout": 30, "max_retries": 3, "requests_per_minute": 0, **extra}),
    }


def test_a_connection_made_read_and_saved_through_the_ui_form_endpoints_sends_the_token_in_the_body(
    api: AirflowApi, stack: AirflowStack, e2e_sandbox: SandboxServer
) -> None:
    api.call("POST", "/api/v2/connections", json=ui_form("lm_form", e2e_sandbox, credentials_in_body=True))
    shown = api.call("GET", "/api/v2/connections/lm_form")  # what the edit form reads
    assert shown["password"] == "***"  # the token stays hidden ...
    assert json.loads(shown["extra"])["credentials_in_body"] is True  # ... the toggle shows the real value
    api.call("PATCH", "/api/v2/connections/lm_form", json=shown)  # Save, nothing changed
    saved = api.call("GET", "/api/v2/connections/lm_form")
    assert json.loads(saved["extra"]) == json.loads(shown["extra"])

    # The hook built from the stored connection (as a task's is) sends the token in the JSON body only.
    seen = len(e2e_sandbox.received(api="legallymail", path="/api/info"))
    stack.airflow("connections", "test", "lm_form")  # exits non-zero unless the hook's check passed
    checks = e2e_sandbox.received(api="legallymail", path="/api/info")[seen:]
    assert [entry["status"] for entry in checks] == [200]
    assert "authorization" not in checks[0]["headers"]
    assert checks[0]["json"]["token"] == token_digest(e2e_sandbox.legallymail_token)
    # The form's test button, on the form as read back (the masked token is the stored one).
    ok, message = api.test_connection(shown)
    assert ok and message.startswith("Connected as"), message


def test_the_test_button_on_a_connection_saved_with_the_masked_former_extra_says_what_to_change(
    api: AirflowApi, e2e_sandbox: SandboxServer
) -> None:
    # What Save stored before the rename: the masker showed token_in_body as *** and the form saved that.
    api.call("POST", "/api/v2/connections", json=ui_form("lm_masked", e2e_sandbox, token_in_body="***"))
    ok, message = api.test_connection(api.call("GET", "/api/v2/connections/lm_masked"))
    assert not ok
    assert "extra 'token_in_body': '***' is the mask" in message
    assert "set the extra 'credentials_in_body' (true or false)" in message
