"""Poke, reschedule and the trigger decide alike; the deadline is fixed once across retries and re-deferrals."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_legallymail.client.budget import PollView
from airflow_provider_legallymail.models.legallymail import Email, SignatureRequest, Sms
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor, SmsSensor
from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
from airflow_provider_legallymail.waiting import poller

try:
    from airflow.sdk.exceptions import TaskDeferred
except ImportError:  # Airflow 3.1
    from airflow.exceptions import TaskDeferred  # type: ignore[attr-defined,no-redef]

TZ = "Europe/Madrid"


def email(*statuses: tuple[str, str, str | None]) -> Email:
    recipients = [{"email": who, "status": s, "error_details": why, "tracking_id": who[0]} for who, s, why in statuses]
    return Email.from_api(
        {"tracking_id": "cm_p", "status": "pending", "is_multi_recipient": True, "recipients": recipients}, TZ
    )


def signature(status: str, signer: str) -> SignatureRequest:
    data = {"uuid": "u1", "status": status, "signers": [{"signer_email": "eve@x.com", "status": signer}]}
    return SignatureRequest.from_api(data, TZ)


def sms(status: str) -> Sms:
    return Sms.from_api({"uuid": "s1", "recipient": "+34600000999", "status": status}, TZ)


SEQUENCES: dict[str, tuple[Any, list[Any]]] = {
    "email read by all": (
        lambda: CertifiedEmailSensor(task_id="w", tracking_id="cm_p", target="read"),
        [
            email(("a@x.com", "sent", None), ("b@x.com", "sent", None)),
            email(("a@x.com", "delivered", None), ("b@x.com", "read", None)),
            email(("a@x.com", "read", None), ("b@x.com", "read", None)),
        ],
    ),
    "email delivered, soft bounce": (
        lambda: CertifiedEmailSensor(task_id="w", tracking_id="cm_p", target="delivered"),
        [
            email(("a@x.com", "sent", None), ("b@x.com", "sent", None)),
            email(("a@x.com", "sent", None), ("b@x.com", "delivered", "Recipient inbox full")),
            email(("a@x.com", "delivered", None), ("b@x.com", "delivered", "Recipient inbox full")),
        ],
    ),
    "email bounced": (
        lambda: CertifiedEmailSensor(task_id="w", tracking_id="cm_p", target="read"),
        [
            email(("a@x.com", "sent", None), ("b@x.com", "sent", None)),
            email(("a@x.com", "delivered", None), ("b@x.com", "bounced", "Mailbox does not exist")),
        ],
    ),
    "signature declined": (
        lambda: SignatureSensor(task_id="w", uuid="u1"),
        [signature("pending", "pending"), signature("declined", "declined")],
    ),
    "sms failed": (lambda: SmsSensor(task_id="w", uuid="s1"), [sms("sent"), sms("sent"), sms("failed")]),
}


class ScriptedHook:
    """Answers each GET with the next state of a sequence (then keeps the last); lists are empty."""

    def __init__(self, states: list[Any]) -> None:
        self.states = states
        self.calls = 0
        budget = SimpleNamespace(
            enabled=True, window=60.0, poll_view=lambda: PollView(100, 0.0, 10, sends_active=True), acquire=lambda: 0.0
        )
        settings = SimpleNamespace(requests_per_minute=10, base_url="https://legallymail.com", sandbox_speed=1.0)
        self.conn = SimpleNamespace(budget=budget, settings=settings)

    def get_conn(self) -> Any:
        return self.conn

    def _next(self, *_: Any) -> Any:
        state = self.states[min(self.calls, len(self.states) - 1)]
        self.calls += 1
        return state

    get_email = get_signature = get_sms = _next

    def list_emails(self, limit: int) -> list[Any]:
        return []

    list_signatures = list_emails


def ti(try_number: int = 1) -> Any:
    """A task instance that keeps what is pushed to XCom in ``.pushed``."""
    pushed: dict[str, Any] = {}

    def xcom_push(key: str, value: Any) -> None:
        pushed[key] = value

    return SimpleNamespace(
        dag_id="d", run_id="r", task_id="w", map_index=-1, try_number=try_number, pushed=pushed, xcom_push=xcom_push
    )


def by_poking(make: Any, states: list[Any]) -> dict[str, Any]:
    sensor = make()
    sensor.__dict__["hook"] = ScriptedHook(states)
    sensor._spec = sensor.resolve({"ti": ti()})
    for _ in range(len(states) + 1):
        done = sensor.poke({})
        if done:
            return dict(done.xcom_value)
    raise AssertionError("poking never decided")


def by_trigger(make: Any, states: list[Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    hook = ScriptedHook(states)

    async def load_hook(conn_id: str, rate_scale: float = 1.0) -> Any:
        hook.conn.budget.window = 60.0 / rate_scale  # as a real hook's budget on a sped-up clock
        return hook

    monkeypatch.setattr(poller, "load_hook", load_hook)
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(1000.0))
    sensor = make()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": ti()})
    trigger: LegallyMailWaitTrigger = deferred.value.trigger

    async def first() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    return asyncio.run(first())


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_poke_and_the_trigger_decide_alike_on_the_same_status_sequence(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, states = SEQUENCES[name]
    poked = by_poking(make, states)
    triggered = by_trigger(make, states, monkeypatch)
    for event in (poked, triggered):
        event["result"].pop("decided_at")
    assert poked == triggered
    assert poked["status"] == ("reached" if name.startswith(("email read", "email delivered")) else "failed")


def test_the_deadline_is_fixed_by_the_first_try_across_retries_and_re_deferrals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def deferred_deadline(try_number: int) -> float:
        sensor = SmsSensor(task_id="w", uuid="s1", timeout=600)
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute({"ti": ti(try_number)})
        path, kwargs = deferred.value.trigger.serialize()
        rebuilt = LegallyMailWaitTrigger(**kwargs)  # what a restarted triggerer does
        assert rebuilt.serialize() == (path, kwargs)
        return float(kwargs["spec"]["deadline"])

    first = deferred_deadline(1)
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert deferred_deadline(2) == first  # a retry an hour later still ends at the first try's deadline
    rescheduled = SmsSensor(task_id="w", uuid="s1", timeout=600, deferrable=False)
    assert rescheduled.mode == "reschedule"
    assert rescheduled.resolve({"ti": ti(3)}).deadline == first


def test_bad_input_fails_before_any_request_and_is_not_skipped_by_soft_fail() -> None:
    from airflow_provider_legallymail.compat import AirflowFailException

    sensor = CertifiedEmailSensor(task_id="w", tracking_id="cm_1", target="signed", soft_fail=True)
    sensor.__dict__["hook"] = None  # any request would crash on it
    with pytest.raises(AirflowFailException, match="target"):
        sensor.execute({"ti": ti()})
