"""The event triggers against the sandbox: own watchers per status, restarts, one poller, the budget."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.triggers.legallymail import (
    CertifiedEmailEventTrigger,
    LegallyMailWaitTrigger,
    SignatureEventTrigger,
    SmsEventTrigger,
)
from airflow_provider_legallymail.waiting import poller
from airflow_provider_legallymail.waiting.wait import wait_spec
from demo.watchers import rebuilt
from legallymail_sandbox.server import SandboxServer
from tests.integration.test_event_triggers import collect, contract

SPEED = 120.0


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, sleeps: list[float]) -> SandboxServer:
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(SPEED))
    for name, value in sandbox.connection_env(requests_per_minute=0).items():
        monkeypatch.setenv(name, value)
    sandbox.set_speed(SPEED)
    return sandbox


def kwargs(tmp_path: Path) -> dict[str, Any]:
    return {
        "poll_interval": 5,
        "event_spacing": 0,
        "state_path": str(tmp_path / "state"),
        "ledger_path": str(tmp_path / "ledger"),
    }


def test_signed_declined_and_expired_each_reach_their_own_watcher_on_one_poller(
    fast: SandboxServer, tmp_path: Path
) -> None:
    triggers = [SignatureEventTrigger(statuses=[s], **kwargs(tmp_path)) for s in ("signed", "declined", "expired")]
    hook = LegallyMailHook()
    sent: dict[str, str] = {}
    pollers: list[int] = []

    def act() -> None:
        for who in ("ana@example.com", "eve+decline@example.com", "zed+nosign@example.com"):
            sent[who.split("@")[0]] = contract(hook, who)
        fast.advance(8 * 86400)  # past zed's expires_at

    def done(got: list[dict[str, Any]]) -> bool:
        pollers.append(sum(len(p) for p in poller._POLLERS.values()))
        return len(got) >= 3

    by: list[int] = []
    got = asyncio.run(collect(triggers, done, act, by))
    fired = {(index, p["id"], p["status"]) for index, p in zip(by, got, strict=True)}
    assert fired == {
        (0, sent["ana"], "signed"),
        (1, sent["eve+decline"], "declined"),
        (2, sent["zed+nosign"], "expired"),
    }
    assert len(got) == 3
    assert set(pollers) == {1}  # three watchers, one connection: one poller


def test_a_restart_in_the_middle_neither_drops_nor_repeats_an_event(fast: SandboxServer, tmp_path: Path) -> None:
    hook = LegallyMailHook()
    first = [
        SignatureEventTrigger(statuses=["signed"], **kwargs(tmp_path)),
        CertifiedEmailEventTrigger(statuses=["delivered", "read"], **kwargs(tmp_path)),
    ]
    ids: list[str] = []

    def before() -> None:
        ids.extend(
            [contract(hook, "ana@example.com"), hook.send_email(["bo@example.com"], "S", "<p>x</p>").tracking_id]
        )
        ids.append(contract(hook, "cy@example.com"))

    part1 = asyncio.run(collect(first, lambda got: len(got) >= 2, before))
    fast.set_speed(0)  # down: these happen while no triggerer runs
    ids.append(hook.send_email(["di@example.com", "ed@example.com"], "G", "<p>x</p>").tracking_id)
    ids.append(contract(hook, "fa@example.com"))
    fast.advance(120)
    fast.set_speed(SPEED)
    expected = {(ids[0], "signed"), (ids[1], "delivered"), (ids[1], "read"), (ids[2], "signed")}
    expected |= {(ids[3], "delivered"), (ids[3], "read"), (ids[4], "signed")}

    def complete(got: list[dict[str, Any]]) -> bool:
        return {(p["id"], p["status"]) for p in part1 + got} >= expected

    part2 = asyncio.run(collect([rebuilt(t) for t in first], complete))
    union = [(p["id"], p["status"]) for p in part1 + part2]
    assert sorted(union) == sorted(expected)  # every transition, each exactly once
    assert len(part1) >= 2 and part2


def test_many_watchers_and_waits_together_stay_inside_the_budget(
    fast: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    for name, value in fast.connection_env(requests_per_minute=10).items():
        monkeypatch.setenv(name, value)
    fast.set_rate_limit(10, 60.0 / SPEED)
    hook = LegallyMailHook()
    hook.get_conn().budget.limit = 0
    fast.set_rate_limit(0)
    fast.set_speed(0)
    emails = [hook.send_email([f"r{i}@example.com"], "S", "<p>x</p>").tracking_id for i in range(5)]
    deadline = time.time() + 120
    triggers: list[Any] = [SignatureEventTrigger(statuses=[s], **kwargs(tmp_path)) for s in ("signed", "declined")]
    triggers += [CertifiedEmailEventTrigger(statuses=[s], **kwargs(tmp_path)) for s in ("delivered", "read")]
    triggers += [SmsEventTrigger(**kwargs(tmp_path))]
    triggers += [LegallyMailWaitTrigger(wait_spec("email", t, "read", deadline=deadline).to_json()) for t in emails]
    fast.set_rate_limit(10, 60.0 / SPEED)
    fast.set_speed(SPEED)
    waited = asyncio.run(collect(triggers, lambda got: sum(1 for p in got if p.get("status") == "reached") >= 5))
    assert sum(1 for p in waited if p.get("status") == "reached") == 5
    seen = fast.received(api="legallymail", method="GET")
    assert [r for r in seen if r["status"] == 429] == []
    assert any(r["path"] == "/api/emails" for r in seen) and any(r["path"] == "/api/signatures" for r in seen)


def test_what_a_new_watcher_finds_delivered_is_history_for_every_kind_and_only_later_outcomes_run(
    fast: SandboxServer, tmp_path: Path
) -> None:
    hook = LegallyMailHook()
    fast.set_speed(0)  # the sandbox's clock stands still until the watcher has taken its baseline
    single = hook.send_email(["solo@example.com"], "S", "<p>x</p>").tracking_id
    group = hook.send_email(["g1@example.com", "g2@example.com"], "G", "<p>x</p>").tracking_id
    fast.advance(10)  # both delivered (5 s), neither read yet (30 s): before the watcher starts
    watcher = CertifiedEmailEventTrigger(statuses=["delivered", "read"], **kwargs(tmp_path))
    expected = {(single, "read"), (group, "read")}

    def read_now() -> None:
        fast.advance(60)  # both read: after the watcher started

    got = asyncio.run(collect([watcher], lambda got: {(p["id"], p["status"]) for p in got} >= expected, read_now))
    assert sorted((p["id"], p["status"]) for p in got) == sorted(expected)  # no "delivered": that was history


@pytest.mark.usefixtures("airflow_db")
def test_signatures_the_operator_sent_and_signed_after_the_watcher_started_are_all_announced(
    fast: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dag_runs import load_dag, run, states

    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.4\ncontract\n%%EOF")
    fast.set_speed(0)  # nothing is signed until the watcher has made its first request
    ledger = tmp_path / "ledger"
    signers = [[{"name": f"S{i}", "email": f"s{i}@example.com"}] for i in range(14)]
    dag = load_dag(
        "fourteen",
        f"""
        with DAG("fourteen", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
            SignatureRequestOperator.partial(task_id="sign", document="file://{pdf}", ledger_path="{ledger}").expand(
                signers={signers!r}
            )
        """,
    )
    dag_run = run(dag)
    assert set(states(dag_run).values()) == {("success", 1)}
    for name, value in fast.connection_env(requests_per_minute=10).items():
        monkeypatch.setenv(name, value)  # the watcher reads its 15 items at the API's 10 requests per minute
    fast.set_rate_limit(10, 60.0 / SPEED)
    watcher = SignatureEventTrigger(statuses=["signed"], **kwargs(tmp_path))

    def sign_all() -> None:
        fast.set_speed(SPEED)
        fast.advance(120)  # every request is signed 60 s after it was sent

    got = asyncio.run(collect([watcher], lambda got: len(got) >= 14, sign_all))
    fast.set_rate_limit(0)
    assert len({p["id"] for p in got}) == len(got) == 14
