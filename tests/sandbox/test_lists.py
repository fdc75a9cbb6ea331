"""GET /api/emails, /api/email and /api/signatures: limits, order, lookup by parent or recipient id."""

from __future__ import annotations

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, get_email, lm_error, request_signature, send_email


@pytest.mark.parametrize("path", ["/api/emails", "/api/signatures"])
@pytest.mark.parametrize("limit", [None, "0", "26", "-1", "ten", "2.5"])
def test_list_limit_must_be_1_to_25(lm: Api, path: str, limit: str | None) -> None:
    params = {"limit": limit} if limit is not None else {}
    assert lm_error(lm.get(path, params=params), 400).startswith("limit")


def test_emails_newest_first_with_limit(sandbox: SandboxServer, lm: Api) -> None:
    ids = []
    for i in range(4):
        ids.append(send_email(lm, f"r{i}@example.com", subject=f"n{i}")["tracking_id"])
        sandbox.advance(1)
    body = lm.get("/api/emails", params={"limit": 3}).json()
    assert (body["success"], body["count"], body["limit"], body["max_limit"]) == (True, 3, 3, 25)
    assert [e["tracking_id"] for e in body["emails"]] == ids[::-1][:3]
    assert [e["id"] for e in body["emails"]] == [4, 3, 2]


def test_email_list_items_describe_single_and_multi(sandbox: SandboxServer, lm: Api) -> None:
    send_email(lm, "a@example.com, b+softbounce@example.com", subject="Group")
    sandbox.advance(1)
    send_email(lm, "solo@example.com", subject="Solo")
    sandbox.advance(40)
    solo, group = lm.get("/api/emails", params={"limit": 25}).json()["emails"]
    assert (solo["recipient"], solo["is_multi_recipient"], solo["recipient_count"], solo["status"]) == (
        "solo@example.com",
        False,
        1,
        "read",
    )
    assert solo["read_at"] and solo["error_status"] is None
    assert (group["recipient"], group["is_multi_recipient"], group["recipient_count"]) == (
        "Multiple Recipients",
        True,
        2,
    )
    assert (group["status"], group["error_status"]) == ("pending", "Soft Bounce")  # as the documented list shows


def test_email_lookup_by_recipient_tracking_id(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "a@example.com, b+bounce@example.com")
    sandbox.advance(30)
    bounced = data["recipients"][1]["tracking_id"]
    email = get_email(lm, bounced)
    assert email["tracking_id"] == bounced
    assert email["parent_tracking_id"] == data["tracking_id"]
    assert (email["recipient"], email["status"], email["error_status"]) == (
        "b+bounce@example.com",
        "bounced",
        "Hard Bounce",
    )
    first = get_email(lm, data["recipients"][0]["tracking_id"])
    assert [c["certificate_type"] for c in first["certificates"]] == ["read"]


def test_unknown_or_missing_tracking_id(lm: Api) -> None:
    lm_error(lm.get("/api/email", params={"tracking_id": "cm_nope"}), 404)
    assert lm_error(lm.get("/api/email"), 400).startswith("tracking_id")


def test_signatures_newest_first(sandbox: SandboxServer, lm: Api) -> None:
    uuids = []
    for name in ("A.pdf", "B.pdf", "C.pdf"):
        uuids.append(request_signature(lm, document_name=name)["uuid"])
        sandbox.advance(1)
    data = lm.get("/api/signatures", params={"limit": 2}).json()["data"]
    assert [s["uuid"] for s in data] == uuids[::-1][:2]
    assert set(data[0]) >= {"uuid", "signer_name", "signer_email", "document_name", "status", "created_at", "signed_at"}
