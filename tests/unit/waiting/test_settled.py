"""The ``settled`` target: every party final, a tolerance of failures, and hopeless waits failing early;
and the per-party outcomes every wait's result carries, whether it succeeded, failed or timed out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_legallymail.exceptions import OutcomeFailedError, ValidationError
from airflow_provider_legallymail.waiting.decision import Failed, Pending, Reached, decide, event_for, finish, result
from airflow_provider_legallymail.waiting.tolerance import Tolerance
from airflow_provider_legallymail.waiting.wait import WaitSpec, check_wait_arguments, wait_spec
from tests.unit.waiting.test_decision import NOW, group, recipient, signature

FIVE = ("a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com")


def campaign(*statuses: str) -> dict[str, Any]:
    """One email to a@ .. e@ whose recipients are in ``statuses`` (a bounce has its reason)."""
    certificates = {"delivered": ("delivered",), "read": ("read",)}
    reasons = {"bounced": "Mailbox does not exist"}
    parties = [
        recipient(who, status, *certificates.get(status, ()), error=reasons.get(status))
        for who, status in zip(FIVE, statuses, strict=True)
    ]
    return {"cm_parent": group(*parties)}


def settled(selection: Any = "all", kind: str = "email", ids: Any = "cm_parent", **settle: Any) -> WaitSpec:
    return wait_spec(kind, ids, "settled", selection, deadline=NOW + 3600, settle=settle)


def test_settled_waits_for_every_recipient_and_tolerates_the_bounce_it_allows() -> None:
    wait = settled(max_failures=1)
    assert decide(wait, campaign("delivered", "bounced", "sent", "delivered", "delivered"), NOW) == Pending(
        ("c@x.com",)
    )
    done = campaign("delivered", "bounced", "delivered", "delivered", "delivered")
    assert decide(wait, done, NOW) == Reached()
    outcome = result(wait, done, Reached(), NOW)
    assert outcome["reached"] == ["a@x.com", "c@x.com", "d@x.com", "e@x.com"]
    assert outcome["failures"] == [
        {"who": "b@x.com", "id": "cm_parent", "status": "bounced", "reason": "bounced (Mailbox does not exist)"}
    ]
    assert outcome["tolerance"] == {"settle_on": "delivered", "max_failures": 1, "min_reached": None}


def test_a_hopeless_settled_wait_fails_at_once_without_waiting_for_the_rest() -> None:
    observed = campaign("bounced", "bounced", "sent", "sent", "sent")
    too_many = decide(settled(max_failures=1), observed, NOW)
    assert isinstance(too_many, Failed) and too_many.status == "bounced"
    assert too_many.who == "a@x.com, b@x.com" and "2 failed, max_failures=1" in too_many.reason
    share = decide(settled(min_reached=0.8), observed, NOW)  # 3 of 5 can still reach: 4 are needed
    assert isinstance(share, Failed) and "at most 3 of 5 can reach delivered" in share.reason
    assert decide(settled(min_reached=0.6), observed, NOW) == Pending(("c@x.com", "d@x.com", "e@x.com"))


def test_settled_outside_the_tolerance_fails_with_every_outcome_in_the_result() -> None:
    observed = campaign("delivered", "bounced", "delivered", "failed", "delivered")
    wait = settled(min_reached=0.8)
    decision = decide(wait, observed, NOW)
    assert isinstance(decision, Failed) and decision.status == "bounced"  # two statuses: the first one's
    outcome = result(wait, observed, decision, NOW)
    assert outcome["outcome"] == "failed" and outcome["reached"] == ["a@x.com", "c@x.com", "e@x.com"]
    assert [(f["who"], f["status"]) for f in outcome["failures"]] == [("b@x.com", "bounced"), ("d@x.com", "failed")]
    assert {r["who"]: r["outcome"] for r in outcome["recipients"]}["d@x.com"] == "failed"


def test_without_a_tolerance_settled_only_waits_for_every_outcome() -> None:
    assert decide(settled(), campaign(*["bounced"] * 5), NOW) == Reached()
    assert decide(settled(max_failures=0), campaign(*["delivered"] * 5), NOW) == Reached()


def test_settle_on_read_waits_for_reading_and_a_list_selection_settles_only_those() -> None:
    observed = campaign("delivered", "bounced", "delivered", "delivered", "delivered")
    assert decide(settled(settle_on="read"), observed, NOW) == Pending(FIVE[:1] + FIVE[2:])
    assert decide(settled(["a@x.com", "c@x.com"], max_failures=0), observed, NOW) == Reached()


def test_settled_signatures_tell_declined_from_expired_per_signer() -> None:
    wait = settled(kind="signature", ids="u1", max_failures=1)
    observed = {"u1": signature("declined", ("a@x.com", "signed"), ("b@x.com", "declined"))}
    decision = decide(wait, observed, NOW)
    assert isinstance(decision, Failed) and decision.status == "declined"  # a's signature is void too
    outcome = result(wait, observed, decision, NOW)
    assert {f["who"]: f["status"] for f in outcome["failures"]} == {"a@x.com": "declined", "b@x.com": "declined"}


def test_every_result_carries_each_partys_outcome_and_a_timeout_records_who_was_pending() -> None:
    wait = wait_spec("email", "cm_parent", "read", "all", deadline=NOW - 1)
    observed = campaign("read", "delivered", "sent", "read", "read")
    event = event_for(wait, observed, NOW)
    assert event is not None and event["status"] == "timeout"
    outcome = event["result"]
    assert outcome["outcome"] == "timeout" and outcome["pending"] == ["b@x.com", "c@x.com"]
    assert outcome["reached"] == ["a@x.com", "d@x.com", "e@x.com"] and outcome["failures"] == []
    assert [(r["who"], r["outcome"], r["outcome_reason"]) for r in outcome["recipients"]][:2] == [
        ("a@x.com", "reached", None),
        ("b@x.com", "pending", None),
    ]
    assert json.loads(json.dumps(outcome)) == outcome  # plain JSON, for XCom


class Ti:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_finish_pushes_the_outcome_before_failing_and_the_exception_carries_it() -> None:
    wait = settled(max_failures=0)
    event = event_for(wait, campaign("delivered", "bounced", "sent", "sent", "sent"), NOW)
    assert event is not None and event["status"] == "failed"
    ti = Ti()
    with pytest.raises(OutcomeFailedError) as failed:
        finish(event, soft_fail=False, log=None, ti=ti)
    assert ti.pushed["legallymail_outcome"] == failed.value.result == event["result"]
    assert failed.value.result["failures"][0]["who"] == "b@x.com"


def test_a_settled_spec_round_trips_as_json_and_says_its_tolerance() -> None:
    wait = settled(settle_on="read", max_failures=2, min_reached=0.9)
    assert wait.tolerance == Tolerance("read", 2, 0.9) and wait.success == "read"
    assert WaitSpec.from_json(json.loads(json.dumps(wait.to_json()))) == wait
    assert "settled on read, max_failures=2, min_reached=0.9" in wait.describe()
    assert Tolerance("delivered", None, 0.95).needed(200) == 190 and Tolerance("delivered", None, 0.5).needed(3) == 2


@pytest.mark.parametrize(
    ("target", "selection", "settle", "field", "limit"),
    [
        ("settled", "all", {"max_failures": -1}, "max_failures", "below the limit 0"),
        ("settled", "all", {"max_failures": 1.5}, "max_failures", "whole number"),
        ("settled", "all", {"min_reached": 95}, "min_reached", "outside 0..1"),
        ("settled", "all", {"min_reached": True}, "min_reached", "share"),
        ("settled", "all", {"settle_on": "signed"}, "settle_on", "delivered, read"),
        ("settled", "any", {}, "recipients", "min_reached"),
        ("read", "all", {"max_failures": 1}, "max_failures", "only to target='settled'"),
    ],
)
def test_bad_tolerances_name_the_field_and_the_limit(
    target: str, selection: str, settle: dict[str, Any], field: str, limit: str
) -> None:
    with pytest.raises(ValidationError, match=limit) as caught:
        wait_spec("email", "cm_1", target, selection, deadline=1, settle=settle)
    assert caught.value.field == field


def test_a_sending_operators_tolerance_is_checked_under_its_wait_names() -> None:
    check_wait_arguments("sms", "settled", "all", None, {"max_failures": 0})
    with pytest.raises(ValidationError) as caught:
        check_wait_arguments("email", "settled", "all", None, {"min_reached": 2})
    assert caught.value.field == "wait_min_reached"
    with pytest.raises(ValidationError) as caught:
        check_wait_arguments("email", "delivered", "all", None, {"max_failures": 1})
    assert caught.value.field == "wait_max_failures" and "wait_for='settled'" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        check_wait_arguments("signature", "settled", "any", None)
    assert caught.value.field == "wait_recipients"


def test_the_sensors_and_sending_operators_refuse_a_bad_tolerance_when_the_dag_is_parsed() -> None:
    from airflow_provider_legallymail.operators.legallymail import SendCertifiedEmailOperator
    from airflow_provider_legallymail.sensors.legallymail import CertifiedEmailSensor, SignatureSensor

    with pytest.raises(ValidationError, match="max_failures"):
        CertifiedEmailSensor(task_id="w", tracking_id="cm_1", target="settled", max_failures=-1)
    with pytest.raises(ValidationError, match="signers"):
        SignatureSensor(task_id="w", uuid="u1", target="settled", signers="any")
    with pytest.raises(ValidationError, match="wait_min_reached"):
        SendCertifiedEmailOperator(
            task_id="s", recipients="a@x.com", subject="S", html="x", wait_for="settled", wait_min_reached=1.5
        )
    sensor = CertifiedEmailSensor(task_id="w", tracking_id="{{ ti.xcom_pull('s') }}", target="settled", min_reached=1)
    assert sensor.settle == {"settle_on": None, "max_failures": None, "min_reached": 1}


def test_a_failed_campaign_names_ten_failures_and_lists_them_all_in_the_result() -> None:
    people = [f"p{i:02d}@x.com" for i in range(12)]
    observed = {"cm_parent": group(*(recipient(who, "bounced", error="Mailbox does not exist") for who in people))}
    wait = settled(max_failures=0)
    decision = decide(wait, observed, NOW)
    assert isinstance(decision, Failed) and decision.who.endswith("p09@x.com and 2 more")
    assert "p10@x.com" not in decision.reason and decision.reason.endswith(" and 2 more")
    assert [f["who"] for f in result(wait, observed, decision, NOW)["failures"]] == people
