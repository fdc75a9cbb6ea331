"""The one decision: per-recipient statuses decide, the group status never does, failures name who and why."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_legallymail.models.legallymail import Email, SignatureRequest
from airflow_provider_legallymail.waiting.decision import Failed, Pending, Reached, decide, result
from airflow_provider_legallymail.waiting.observations import email_observation, signature_observation
from airflow_provider_legallymail.waiting.wait import WaitSpec, wait_spec

TZ = "Europe/Madrid"
NOW = 1_800_000_000.0  # 2027-01-15


def recipient(email: str, status: str, *certificates: str, error: str | None = None) -> dict[str, Any]:
    return {
        "email": email,
        "status": status,
        "tracking_id": f"cm_{email[0]}",
        "error_details": error,
        "certificates": [
            {"certificate_type": c, "pdf_download_url": f"https://legallymail.com/c?id={email}&status={c}"}
            for c in certificates
        ],
    }


def group(*recipients: dict[str, Any], status: str = "pending") -> dict[str, Any]:
    """A multi-recipient GET /api/email answer: the group status stays pending, as documented."""
    email = Email.from_api(
        {"tracking_id": "cm_parent", "status": status, "is_multi_recipient": True, "recipients": list(recipients)}, TZ
    )
    return email_observation(email)


def spec(target: str = "read", selection: Any = "all", kind: str = "email", ids: Any = "cm_parent") -> WaitSpec:
    return wait_spec(kind, ids, target, selection, deadline=NOW + 3600)


def test_the_documented_example_is_decided_from_recipients_not_the_pending_group() -> None:
    documented = group(
        recipient("recipient1@example.com", "read", "read"),
        recipient("recipient2@example.com", "delivered", "delivered", error="Recipient inbox full"),
    )
    obs = {"cm_parent": documented}
    assert decide(spec("delivered"), obs, NOW) == Reached()  # a soft bounce stays delivered
    assert decide(spec("read"), obs, NOW) == Pending(("recipient2@example.com",))
    assert decide(spec("read", "any"), obs, NOW) == Reached()
    assert decide(spec("read", ["Recipient1@example.com"]), obs, NOW) == Reached()


@pytest.mark.parametrize("certificates", [("read",), ("delivered", "read")], ids=["read only", "both"])
def test_a_read_recipient_counts_as_delivered_with_either_certificate_shape(certificates: tuple[str, ...]) -> None:
    obs = {"cm_parent": group(recipient("a@x.com", "read", *certificates), recipient("b@x.com", "read", "read"))}
    assert decide(spec("delivered"), obs, NOW) == Reached()
    assert decide(spec("read"), obs, NOW) == Reached()


def test_a_certificate_newer_than_the_status_counts() -> None:
    obs = {"cm_parent": group(recipient("a@x.com", "sent", "delivered"), recipient("b@x.com", "delivered"))}
    assert decide(spec("delivered"), obs, NOW) == Reached()


def test_a_bounce_fails_all_at_once_naming_the_recipient_and_reason() -> None:
    obs = {
        "cm_parent": group(
            recipient("a@x.com", "sent"), recipient("b@x.com", "bounced", error="Mailbox does not exist")
        )
    }
    assert decide(spec("read"), obs, NOW) == Failed("b@x.com", "bounced (Mailbox does not exist)", "bounced")
    assert decide(spec("read", ["a@x.com"]), obs, NOW) == Pending(("a@x.com",))  # b is not waited on
    assert decide(spec("read", "any"), obs, NOW) == Pending(("a@x.com",))  # a may still read it


def test_any_fails_only_when_every_recipient_failed() -> None:
    obs = {"cm_parent": group(recipient("a@x.com", "failed"), recipient("b@x.com", "bounced"))}
    decision = decide(spec("delivered", "any"), obs, NOW)
    assert isinstance(decision, Failed) and "a@x.com" in decision.who and "b@x.com" in decision.who


def test_an_address_that_is_not_a_recipient_fails_as_misconfiguration() -> None:
    obs = {"cm_parent": group(recipient("a@x.com", "read", "read"))}
    decision = decide(spec("read", ["zed@x.com"]), obs, NOW)
    assert isinstance(decision, Failed) and decision.who == "zed@x.com" and "not a recipient" in decision.reason


def test_a_split_email_is_decided_as_a_whole() -> None:
    first = {**group(recipient("a@x.com", "read", "read")), "id": "cm_1"}
    wait = spec("read", "all", ids=["cm_1", "cm_2"])
    assert decide(wait, {"cm_1": first, "cm_2": None}, NOW) == Pending(())
    second = {**group(recipient("b@x.com", "read", "read")), "id": "cm_2"}
    assert decide(wait, {"cm_1": first, "cm_2": second}, NOW) == Reached()


def signature(status: str, *signers: tuple[str, str], expires_at: str = "2030-01-22 10:30:00") -> dict[str, Any]:
    data = {
        "uuid": "u1",
        "status": status,
        "expires_at": expires_at,
        "signers": [{"signer_email": e, "status": s} for e, s in signers],
    }
    return signature_observation(SignatureRequest.from_api(data, TZ))


def test_signature_decisions() -> None:
    wait = spec("signed", kind="signature", ids="u1")
    assert decide(wait, {"u1": signature("pending", ("a@x.com", "signed"), ("b@x.com", "pending"))}, NOW) == Pending(
        ("b@x.com",)
    )
    assert decide(wait, {"u1": signature("signed", ("a@x.com", "signed"), ("b@x.com", "signed"))}, NOW) == Reached()
    declined = decide(wait, {"u1": signature("declined", ("a@x.com", "pending"), ("b@x.com", "declined"))}, NOW)
    assert declined == Failed("b@x.com", "declined to sign", "declined")  # the decliner, not the one it stopped
    signed_first = decide(wait, {"u1": signature("declined", ("a@x.com", "signed"), ("b@x.com", "declined"))}, NOW)
    assert signed_first == Failed("b@x.com", "declined to sign", "declined")
    theirs = decide(
        spec("signed", ["a@x.com"], "signature", "u1"),
        {"u1": signature("declined", ("a@x.com", "pending"), ("b@x.com", "declined"))},
        NOW,
    )
    assert isinstance(theirs, Failed) and theirs.who == "a@x.com" and "another signer declined" in theirs.reason
    mine = decide(
        spec("signed", ["b@x.com"], "signature", "u1"), {"u1": signature("declined", ("b@x.com", "declined"))}, NOW
    )
    assert mine == Failed("b@x.com", "declined to sign", "declined")


def test_an_unsigned_request_past_expires_at_fails_even_while_the_api_says_pending() -> None:
    wait = spec("signed", kind="signature", ids="u1")
    observed = {"u1": signature("pending", ("a@x.com", "pending"), expires_at="2024-01-22 10:30:00")}
    decision = decide(wait, observed, NOW)
    assert isinstance(decision, Failed) and "expired" in decision.reason and "2024-01-22" in decision.reason
    assert decision.status == "expired"  # what a re-send on expiry reads


def test_the_failure_status_tells_an_expiry_from_a_decline_for_any_signer() -> None:
    wait = spec("signed", "any", "signature", "u1")
    expired = {"u1": signature("expired", ("a@x.com", "pending"), ("b@x.com", "pending"))}
    declined = {"u1": signature("declined", ("a@x.com", "pending"), ("b@x.com", "declined"))}
    assert [getattr(decide(wait, o, NOW), "status", None) for o in (expired, declined)] == ["expired", "declined"]
    outcome = result(wait, declined, decide(wait, declined, NOW), NOW)
    assert outcome["failed"]["status"] == "declined"


def test_sms_decisions() -> None:
    wait = spec("delivered", kind="sms", ids="s1")

    def sms(status: str) -> dict[str, Any]:
        party = {"who": "+34600000999", "status": status, "reason": "the SMS could not be delivered"}
        return {"kind": "sms", "id": "s1", "status": status, "parties": [party]}

    assert decide(wait, {"s1": sms("sent")}, NOW) == Pending(("+34600000999",))
    assert decide(wait, {"s1": sms("delivered")}, NOW) == Reached()
    assert decide(wait, {"s1": sms("failed")}, NOW) == Failed(
        "+34600000999", "failed (the SMS could not be delivered)", "failed"
    )


def test_an_answer_listing_fewer_recipients_than_it_counts_reaches_nothing_even_for_any() -> None:
    email = Email.from_api(
        {
            "tracking_id": "cm_parent",
            "status": "read",
            "is_multi_recipient": True,
            "recipient_count": 2,
            "recipients": [recipient("a@x.com", "read", "read")],
        },
        TZ,
    )
    obs = {"cm_parent": email_observation(email)}
    waiting = ("a@x.com", "1 recipient(s) the answer leaves out")
    assert decide(spec("read"), obs, NOW) == Pending(waiting)
    assert decide(spec("read", "any"), obs, NOW) == Pending(waiting)
    assert decide(spec("read", ["a@x.com"]), obs, NOW) == Pending(("a@x.com",))


def test_a_group_listing_no_recipient_is_not_its_own_recipient() -> None:
    email = Email.from_api({"tracking_id": "cm_parent", "status": "read", "is_multi_recipient": True}, TZ)
    obs = {"cm_parent": email_observation(email)}
    assert decide(spec("read"), obs, NOW) == Pending(("1 recipient(s) the answer leaves out",))


def test_a_signer_signed_in_a_request_another_signer_declined_does_not_reach_any() -> None:
    request = SignatureRequest.from_api(
        {
            "uuid": "u1",
            "status": "declined",
            "signers": [
                {"signer_email": "a@x.com", "status": "signed"},
                {"signer_email": "b@x.com", "status": "declined"},
            ],
        },
        TZ,
    )
    decision = decide(spec("signed", "any", kind="signature", ids="u1"), {"u1": signature_observation(request)}, NOW)
    assert isinstance(decision, Failed)
    assert "a@x.com: signed, but another signer declined the request" in decision.reason
