"""The optional SQLite store: a second server on the same file sees the first one's state."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import get_email, get_signature, lm_api, lt_api, request_signature, send_email


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    config = SandboxConfig(speed=0.0, rate_limit=0, db_path=str(db))
    with SandboxServer(config) as first:
        lm, lt = lm_api(first), lt_api(first)
        email = send_email(lm, "a@example.com, b@example.com")
        uuid = request_signature(lm)["uuid"]
        sms = lm.post("/api/sms/send", json={"phone": "+34600000000", "message": "x"}).json()["uuid"]
        lt.post(
            "/api/contactlist/Y3VzdG9tZXJz/contact/c-1", json={"email": "ana@example.com", "data": [{"name": "Ana"}]}
        )
        first.advance(120)
        before = get_email(lm, email["tracking_id"])
    rows = sqlite3.connect(db).execute("SELECT kind, count(*) FROM records GROUP BY kind").fetchall()
    assert {kind for kind, _ in rows} >= {"email", "signature", "sms", "contact", "request", "meta"}
    with SandboxServer(config) as second:
        lm, lt = lm_api(second), lt_api(second)
        after = get_email(lm, email["tracking_id"])
        assert [r["status"] for r in after["recipients"]] == ["read", "read"]
        assert [c["file_hash"] for r in after["recipients"] for c in r["certificates"]] == [
            c["file_hash"] for r in before["recipients"] for c in r["certificates"]
        ]
        assert get_signature(lm, uuid)["status"] == "signed"
        assert lm.get("/api/sms", params={"uuid": sms}).json()["data"]["status"] == "delivered"
        assert lm.get("/api/info").json()["user"]["remaining_emails"] == 98
        assert lt.get("/api/contactlist/Y3VzdG9tZXJz/contact/c-1").json()["email"] == "ana@example.com"
        assert len(second.received(path="/api/send")) == 1
        send_email(lm, "c@example.com")
        assert lm.get("/api/emails", params={"limit": 5}).json()["emails"][0]["id"] == 2


def test_reset_clears_the_file(tmp_path: Path) -> None:
    config = SandboxConfig(speed=0.0, rate_limit=0, db_path=str(tmp_path / "sandbox.db"))
    with SandboxServer(config) as server:
        send_email(lm_api(server), "a@example.com")
        server.reset()
    with SandboxServer(config) as server:
        assert lm_api(server).get("/api/emails", params={"limit": 5}).json()["count"] == 0
