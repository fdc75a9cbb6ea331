"""The control API: reset, the request log with its filters, credits, and clock/speed validation."""

from __future__ import annotations

from pathlib import Path

import requests

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.middleware import token_digest
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, send_email


def test_reset_restores_the_start_state(sandbox: SandboxServer, lm: Api, lt: Api) -> None:
    send_email(lm, "ana@example.com")
    sandbox.set_credits(emails=3, sms=1)
    sandbox.fault("legallymail", "GET", "/api/info", status=500)
    sandbox.advance(1000)
    lt.post("/api/contactlist/bmV3c2xldHRlcg/contact/c1", json={"email": "a@example.com", "data": []})
    sandbox.reset()
    assert sandbox.control("GET", "/credits") == {"emails": 100, "sms": 50}
    assert sandbox.clock()["offset"] == 0
    assert sandbox.control("GET", "/faults")["faults"] == []
    assert sandbox.received() == []
    assert lm.get("/api/emails", params={"limit": 25}).json()["count"] == 0
    assert lt.get("/api/contactlist/bmV3c2xldHRlcg/contact/c1").status_code == 404


def test_request_log_records_everything_in_order(sandbox: SandboxServer, lm: Api, lt: Api) -> None:
    send_email(lm, "ana@example.com")
    lm.get("/api/emails", params={"limit": 2})
    lt.get("/api/template/list")
    requests.get(f"{sandbox.legallymail_url}/api/info", timeout=5)
    log = sandbox.received()
    assert [(r["api"], r["method"], r["path"], r["status"]) for r in log] == [
        ("legallymail", "POST", "/api/send", 200),
        ("legallymail", "GET", "/api/emails", 200),
        ("legitmailer", "GET", "/api/template/list", 200),
        ("legallymail", "GET", "/api/info", 401),
    ]
    first = log[0]
    assert first["json"] == {"recipient": "ana@example.com", "subject": "Hello", "message": "<p>Hi</p>"}
    assert first["headers"]["authorization"] == f"Bearer {token_digest(sandbox.legallymail_token)}"
    assert first["client_ip"] == "127.0.0.1"
    assert log[1]["query"] == {"limit": "2"}
    assert [r["path"] for r in sandbox.received(api="legallymail", method="GET")] == ["/api/emails", "/api/info"]
    assert len(sandbox.received(path="/api/send")) == 1


def test_request_log_shortens_huge_strings(sandbox: SandboxServer, lm: Api) -> None:
    lm.post("/api/send", json={"recipient": "a@example.com", "subject": "s", "message": "x" * 10_000})
    logged = sandbox.received(path="/api/send")[0]["json"]["message"]
    assert logged.endswith("(10000 characters)") and len(logged) < 200


def test_control_validates_its_input(sandbox: SandboxServer) -> None:
    base = f"{sandbox.url}/_sandbox"
    assert requests.post(f"{base}/clock/advance", json={}, timeout=5).status_code == 400
    assert requests.post(f"{base}/clock/advance", json={"seconds": -1}, timeout=5).status_code == 400
    assert requests.post(f"{base}/speed", json={"factor": "fast"}, timeout=5).status_code == 400
    assert requests.post(f"{base}/credits", json={"emails": 1.5}, timeout=5).status_code == 400
    assert requests.post(f"{base}/emails/cm_nope/read", timeout=5).status_code == 404
    assert requests.post(f"{base}/signatures/nope/sign", timeout=5).status_code == 404


def test_control_api_is_not_logged_nor_limited(sandbox: SandboxServer) -> None:
    sandbox.set_rate_limit(limit=1)
    for _ in range(5):
        sandbox.clock()
    assert sandbox.received() == []


def test_the_request_log_and_its_db_file_keep_a_digest_of_each_token_never_the_token(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    refused = ["wrong-token-in-header", "wrong-token-bare", "wrong-token-in-body", "wrong-token-in-query"]
    with SandboxServer(SandboxConfig(rate_limit=0, db_path=str(db))) as server:
        info, token = f"{server.legallymail_url}/api/info", server.legallymail_token
        assert requests.get(info, headers={"Authorization": f"Bearer {refused[0]}"}, timeout=5).status_code == 401
        assert requests.get(info, headers={"Authorization": refused[1]}, timeout=5).status_code == 401
        assert requests.get(info, json={"token": refused[2]}, timeout=5).status_code == 401
        assert requests.get(info, params={"token": refused[3]}, timeout=5).status_code == 401
        assert requests.get(info, json={"token": token}, timeout=5).ok
        assert (
            requests.get(
                f"{server.legitmailer_url}/api/template/list", headers={"Authorization": f"Bearer {token}"}, timeout=5
            ).status_code
            == 401
        )
        answer = requests.get(f"{server.url}/_sandbox/requests", timeout=5)
        log = server.received()
    assert [(r["headers"].get("authorization"), r["json"], r["query"]) for r in log] == [
        (f"Bearer {token_digest(refused[0])}", None, {}),
        (token_digest(refused[1]), None, {}),
        (None, {"token": token_digest(refused[2])}, {}),
        (None, None, {"token": token_digest(refused[3])}),
        (None, {"token": token_digest(token)}, {}),
        (f"Bearer {token_digest(token)}", None, {}),
    ]
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())  # the file, and a journal if any
    for secret in [*refused, token]:
        assert secret not in answer.text
        assert secret.encode() not in stored
    assert token_digest(refused[0]).encode() in stored  # the file does keep the log
