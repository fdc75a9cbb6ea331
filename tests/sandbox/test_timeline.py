"""Email statuses over sandbox time, outcome tags, the group status, marking read, the speed factor."""

from __future__ import annotations

from datetime import datetime

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, get_email, send_email


def parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def status_of(lm: Api, tracking_id: str) -> str:
    return str(get_email(lm, tracking_id)["status"])


def test_default_timeline_sent_delivered_read(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    email = get_email(lm, tracking_id)
    assert (email["status"], email["delivered_at"], email["read_at"], email["certificates"]) == ("sent", None, None, [])
    sandbox.advance(5)
    email = get_email(lm, tracking_id)
    assert email["status"] == "delivered" and email["delivered_at"]
    assert [c["certificate_type"] for c in email["certificates"]] == ["delivered"]
    sandbox.advance(25)
    email = get_email(lm, tracking_id)
    assert email["status"] == "read" and email["read_at"]
    assert [c["certificate_type"] for c in email["certificates"]] == ["read"]  # as documented: read only


def test_times_follow_the_timeline(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    sandbox.advance(60)
    email = get_email(lm, tracking_id)
    sent = parse(email["sent_at"])
    assert (parse(email["delivered_at"]) - sent).total_seconds() == 5
    assert (parse(email["read_at"]) - sent).total_seconds() == 30


def test_hard_bounce_is_bounced_and_soft_bounce_is_delivered_with_the_error(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "a+bounce@example.com, b+softbounce@example.com")
    sandbox.advance(4)
    assert {r["status"] for r in get_email(lm, data["tracking_id"])["recipients"]} == {"sent"}
    sandbox.advance(1)
    email = get_email(lm, data["tracking_id"])
    details = {r["email"]: (r["status"], r["error_status"], r["error_details"]) for r in email["recipients"]}
    assert details["a+bounce@example.com"] == ("bounced", "Hard Bounce", "Mailbox does not exist")
    assert details["b+softbounce@example.com"] == ("delivered", "Soft Bounce", "Recipient inbox full")
    hard, soft = email["recipients"]
    assert hard["certificates"] == [] and hard["delivered_at"] is None
    assert [c["certificate_type"] for c in soft["certificates"]] == ["delivered"] and soft["delivered_at"]
    assert (email["status"], email["error_status"]) == ("pending", "Hard Bounce")


def test_soft_bounce_stays_delivered_until_marked_read(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "a+softbounce@example.com")["tracking_id"]
    sandbox.advance(3600)
    email = get_email(lm, tracking_id)
    assert (email["status"], email["error_status"], email["error_details"], email["read_at"]) == (
        "delivered",
        "Soft Bounce",
        "Recipient inbox full",
        None,
    )
    assert sandbox.mark_read(tracking_id) == [tracking_id]
    email = get_email(lm, tracking_id)
    assert (email["status"], email["error_details"]) == ("read", "Recipient inbox full")
    assert [c["certificate_type"] for c in email["certificates"]] == ["read"]


def test_noread_stays_delivered_until_marked_read(sandbox: SandboxServer, lm: Api) -> None:
    tracking_id = send_email(lm, "ana+noread@example.com")["tracking_id"]
    sandbox.advance(3600)
    assert status_of(lm, tracking_id) == "delivered"
    assert sandbox.mark_read(tracking_id) == [tracking_id]
    email = get_email(lm, tracking_id)
    assert email["status"] == "read" and email["read_at"]


def test_group_status_stays_pending_whatever_the_recipients_do(sandbox: SandboxServer, lm: Api) -> None:
    """As the documented example shows: a group's own status is no aggregate; its recipients tell."""
    data = send_email(lm, "a@example.com, b+noread@example.com, c+fail@example.com")
    parent = data["tracking_id"]
    for advance, recipients in ((0, ["sent", "sent", "failed"]), (5, ["delivered", "delivered", "failed"])):
        sandbox.advance(advance)
        email = get_email(lm, parent)
        assert (email["status"], [r["status"] for r in email["recipients"]]) == ("pending", recipients)
    sandbox.advance(30)
    email = get_email(lm, parent)
    assert [r["status"] for r in email["recipients"]] == ["read", "delivered", "failed"]
    assert (email["status"], email["read_at"], email["delivered_at"]) == ("pending", None, None)
    assert email["error_status"] == "Send Failure"
    assert email["certificates"] == []
    (listed,) = lm.get("/api/emails", params={"limit": 5}).json()["emails"]
    assert (listed["status"], listed["read_at"]) == ("pending", None)


def test_group_stays_pending_when_every_recipient_read_or_failed(sandbox: SandboxServer, lm: Api) -> None:
    read = send_email(lm, "a@example.com, b+noread@example.com")
    failed = send_email(lm, "a+fail@example.com, b+fail@example.com")
    sandbox.advance(40)
    noread = read["recipients"][1]["tracking_id"]
    assert sandbox.mark_read(noread) == [noread]
    email = get_email(lm, read["tracking_id"])
    assert [r["status"] for r in email["recipients"]] == ["read", "read"]
    assert (email["status"], email["read_at"]) == ("pending", None)
    assert [r["status"] for r in get_email(lm, failed["tracking_id"])["recipients"]] == ["failed", "failed"]
    assert status_of(lm, failed["tracking_id"]) == "pending"
    assert status_of(lm, noread) == "read"  # a recipient looked up by its own tracking id has its own status


def test_marking_a_parent_read_marks_every_readable_recipient(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "a@example.com, b+noread@example.com, c+bounce@example.com")
    marked = sandbox.mark_read(data["tracking_id"])
    assert marked == [data["recipients"][0]["tracking_id"], data["recipients"][1]["tracking_id"]]
    statuses = [r["status"] for r in get_email(lm, data["tracking_id"])["recipients"]]
    assert statuses == ["read", "read", "sent"]


def test_speed_factor_runs_sandbox_time_faster(sandbox: SandboxServer, lm: Api) -> None:
    before = sandbox.clock()["epoch"]
    sandbox.set_speed(1_000_000.0)
    after = sandbox.clock()["epoch"]
    sandbox.set_speed(0.0)
    assert after > before
    tracking_id = send_email(lm, "ana@example.com")["tracking_id"]
    sandbox.set_speed(1_000_000.0)
    try:
        assert status_of(lm, tracking_id) == "read"
    finally:
        sandbox.set_speed(0.0)


def test_clock_advance_reports_the_new_time(sandbox: SandboxServer) -> None:
    before = sandbox.clock()
    after = sandbox.advance(3600)
    assert after["epoch"] - before["epoch"] == 3600
    assert after["offset"] == 3600
    assert after["legallymail"] > before["legallymail"]
    assert after["legitmailer"].endswith("+0000")
