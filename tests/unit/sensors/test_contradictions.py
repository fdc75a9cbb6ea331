"""Answers that contradict themselves or the send never satisfy a wait: poke, trigger and ``wait_for=`` alike.

A recipient the send returned that vanishes from the status answer (or a list gone empty while the group
says ``read``) is waited for, never counted as read; a signer ``signed`` in a declined or expired request
fails the wait, saying so.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

import pytest

from airflow_provider_legallymail.compat import AirflowSensorTimeout
from airflow_provider_legallymail.exceptions import OutcomeFailedError
from airflow_provider_legallymail.models.legallymail import Email, SignatureRequest
from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator, SignatureRequestOperator
from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor
from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
from airflow_provider_legallymail.waiting import poller
from airflow_provider_legallymail.waiting.decision import finish
from airflow_provider_legallymail.waiting.wait import wait_spec_after_send
from tests.unit.sensors.test_legallymail import ScriptedHook, ti

TZ = "Europe/Madrid"
SENT = {  # SendCertifiedEmailOperator's return value for one send to two recipients
    "sends": [
        {
            "tracking_id": "cm_p",
            "recipients": [
                {"email": "a@x.com", "tracking_id": "cm_a", "status": "sent"},
                {"email": "b@x.com", "tracking_id": "cm_b", "status": "sent"},
            ],
        }
    ],
    "tracking_ids": {"a@x.com": "cm_a", "b@x.com": "cm_b"},
    "parent_tracking_ids": ["cm_p"],
    "status": "sent",
}


def group(*listed: tuple[str, str], status: str = "pending", count: int | None = 2) -> Email:
    recipients = [{"email": who, "status": st, "tracking_id": f"cm_{who[0]}"} for who, st in listed]
    data = {"tracking_id": "cm_p", "status": status, "is_multi_recipient": True, "recipients": recipients}
    return Email.from_api({**data, "recipient_count": count}, TZ)


BOTH_SENT = group(("a@x.com", "sent"), ("b@x.com", "sent"))


def signature(request: str, *signers: str) -> SignatureRequest:
    parties = [{"signer_email": f"s{i}@x.com", "status": s} for i, s in enumerate(signers)]
    return SignatureRequest.from_api({"uuid": "u1", "status": request, "signers": parties}, TZ)


VANISHING = {
    "one recipient vanishes with the count": [BOTH_SENT, group(("a@x.com", "read"), count=None)],
    "one recipient vanishes, the count stays": [BOTH_SENT, group(("a@x.com", "read"))],
    "the list goes empty, the group says read": [BOTH_SENT, group(status="read", count=None)],
}
CONTRADICTING_SIGNATURES = {
    "declined request, signer signed": [signature("pending", "pending"), signature("declined", "signed")],
    "expired request, signer signed": [signature("pending", "pending"), signature("expired", "signed")],
}


def email_sensor() -> CertifiedEmailSensor:
    return CertifiedEmailSensor(task_id="w", tracking_id=SENT, target="read", recipients="all", timeout=600)


def poke_through(sensor: Any, states: list[Any]) -> Any:
    """Poke once per state (then once more on the last); the sensor's first decisive value, or None."""
    sensor.__dict__["hook"] = ScriptedHook(states)
    sensor._spec = sensor.resolve({"ti": ti()})
    for _ in range(len(states) + 1):
        done = sensor.poke({})
        if done:
            return done.xcom_value
    return None


def first_event(trigger: LegallyMailWaitTrigger, states: list[Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    hook = ScriptedHook(states)

    async def load_hook(conn_id: str, rate_scale: float = 1.0) -> Any:
        hook.conn.budget.window = 60.0 / rate_scale  # as a real hook's budget on a sped-up clock
        return hook

    monkeypatch.setattr(poller, "load_hook", load_hook)
    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(1000.0))

    async def first() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    return asyncio.run(first())


def deferred_trigger(task: Any) -> LegallyMailWaitTrigger:
    """The trigger a sensor defers to, or the one a sending operator's ``wait_for=`` defers to after sending."""
    from airflow_provider_legallymail.sensors.legallymail import defer_wait

    try:
        from airflow.sdk.exceptions import TaskDeferred
    except ImportError:  # Airflow 3.1
        from airflow.exceptions import TaskDeferred  # type: ignore[attr-defined,no-redef]

    context: Any = {"ti": ti()}
    if isinstance(task, SendCertifiedEmailOperator | SignatureRequestOperator):  # what execute does once sent
        summary = SENT if task.kind == "email" else {"uuid": "u1", "status": "pending"}
        spec = wait_spec_after_send(task.kind, summary, str(task.wait_for), task.wait_recipients, context, 1.0, None)
        with pytest.raises(TaskDeferred) as deferred:
            defer_wait(task, spec, task.legallymail_conn_id, carry=summary)
    else:
        with pytest.raises(TaskDeferred) as deferred:
            task.execute(context)
    return deferred.value.trigger  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", list(VANISHING))
def test_poking_keeps_waiting_for_a_recipient_that_vanished_and_times_out_naming_it(name: str) -> None:
    sensor = email_sensor()
    assert poke_through(sensor, VANISHING[name]) is None  # never reached
    sensor._spec = replace(sensor._spec, deadline=0.0)
    event: Any = getattr(sensor.poke({}), "xcom_value", None)
    assert event["result"]["outcome"] == "timeout"  # what was pending is recorded
    assert any(who.startswith(("a@x.com", "b@x.com")) for who in event["result"]["pending"])
    # the message names them masked (address_logging); the recorded result keeps them whole
    with pytest.raises(
        AirflowSensorTimeout, match=r"still waiting for (b\*\*\*@x\.com \(no longer listed\)|.*a\*\*\*@x\.com)"
    ):
        finish(event, soft_fail=False, log=sensor.log)


@pytest.mark.parametrize("name", list(VANISHING))
def test_the_trigger_never_reaches_a_wait_whose_recipient_vanished(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sensor = CertifiedEmailSensor(task_id="w", tracking_id=SENT, target="read", recipients="all", timeout=1)
    event = first_event(deferred_trigger(sensor), VANISHING[name], monkeypatch)
    assert event["status"] == "timeout"
    assert re.search(r"still waiting for .*b@x\.com \(no longer listed\)", event["message"])


@pytest.mark.parametrize("name", list(VANISHING))
def test_wait_for_on_the_send_never_reaches_it_either(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    operator = SendCertifiedEmailOperator(
        task_id="send", recipients=["a@x.com", "b@x.com"], subject="s", html="<p>x</p>", wait_for="read"
    )
    event = first_event(deferred_trigger(operator), VANISHING[name], monkeypatch)
    assert event["status"] == "timeout"
    assert "b@x.com (no longer listed)" in event["message"]
    with pytest.raises(AirflowSensorTimeout):
        operator.execute_complete({"ti": ti()}, event)


@pytest.mark.parametrize("name", list(CONTRADICTING_SIGNATURES))
def test_a_signer_signed_in_a_declined_or_expired_request_fails_every_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = CONTRADICTING_SIGNATURES[name]
    request = states[-1].status.value
    poked = poke_through(SignatureSensor(task_id="w", uuid="u1", timeout=600), states)
    sensor_event = first_event(deferred_trigger(SignatureSensor(task_id="w", uuid="u1")), states, monkeypatch)
    operator = SignatureRequestOperator(
        task_id="sign", document=b"%PDF-1.4", signers=[{"name": "S", "email": "s0@x.com"}], wait_for="signed"
    )
    operator_event = first_event(deferred_trigger(operator), states, monkeypatch)
    for event in (poked, sensor_event, operator_event):
        assert event["status"] == "failed"
        assert (
            event["reason"]
            == f"is reported signed, but the request is {request}: a contradiction, no proof of a signature"
        )
    with pytest.raises(OutcomeFailedError, match=f"request is {request}"):
        operator.execute_complete({"ti": ti()}, operator_event)
