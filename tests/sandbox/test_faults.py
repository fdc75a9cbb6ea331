"""Fault injection: error statuses for N requests or a ratio, Retry-After, latency, and dropped responses."""

from __future__ import annotations

import pytest
import requests

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_error, lt_error

SEND = {"recipient": "ana@example.com", "subject": "s", "message": "m"}


def test_status_fault_for_the_next_n_requests_answers_before_processing(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", status=503, count=2)
    assert [lm.post("/api/send", json=SEND).status_code for _ in range(3)] == [503, 503, 200]
    assert lm.get("/api/emails", params={"limit": 25}).json()["count"] == 1
    assert lm.get("/api/info").json()["user"]["remaining_emails"] == 99


def test_fault_matches_only_its_method_and_path(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", status=500)
    assert lm.get("/api/info").status_code == 200
    assert lm.get("/api/send").status_code == 405
    lm_error(lm.post("/api/send", json=SEND), 500)


def test_429_fault_sets_retry_after(sandbox: SandboxServer, lm: Api, lt: Api) -> None:
    sandbox.fault("legallymail", None, "/api/info", status=429, retry_after=7, count=1)
    sandbox.fault("legitmailer", "GET", "/api/template/*", status=429, count=1)
    response = lm.get("/api/info")
    lm_error(response, 429)
    assert response.headers["Retry-After"] == "7"
    response = lt.get("/api/template/list")
    lt_error(response, 429)
    assert response.headers["Retry-After"] == "1"


def test_ratio_is_deterministic(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.fault("legallymail", "GET", "/api/info", status=500, ratio=0.5)
    assert [lm.get("/api/info").status_code for _ in range(6)] == [200, 500] * 3
    sandbox.clear_faults()
    sandbox.fault("legallymail", "GET", "/api/info", status=500, ratio=0.25, count=1)
    assert [lm.get("/api/info").status_code for _ in range(8)] == [200, 200, 200, 500, 200, 200, 200, 200]


def test_latency_delays_the_answer(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.fault("legallymail", "GET", "/api/info", latency=1.0, count=1)
    with pytest.raises(requests.ReadTimeout):
        lm.get("/api/info", timeout=0.2)
    assert lm.get("/api/info").status_code == 200


def test_drop_response_commits_but_closes_the_connection(sandbox: SandboxServer) -> None:
    sandbox.fault("legallymail", "POST", "/api/send", drop_response=True, count=1)
    headers = {"Authorization": f"Bearer {sandbox.legallymail_token}"}
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{sandbox.legallymail_url}/api/send", json=SEND, headers=headers, timeout=5)
    sends = sandbox.received(api="legallymail", method="POST", path="/api/send")
    assert [(s["status"], s["dropped"]) for s in sends] == [(200, True)]
    emails = requests.get(f"{sandbox.legallymail_url}/api/emails?limit=5", headers=headers, timeout=5).json()
    assert emails["count"] == 1
    info = requests.get(f"{sandbox.legallymail_url}/api/info", headers=headers, timeout=5).json()
    assert info["user"]["remaining_emails"] == 99
    # The fault was used up: the next send is answered normally.
    assert requests.post(f"{sandbox.legallymail_url}/api/send", json=SEND, headers=headers, timeout=5).ok


def test_drop_response_on_legitmailer(sandbox: SandboxServer, lt: Api) -> None:
    sandbox.fault("legitmailer", "POST", "/api/email", drop_response=True, count=1)
    body = {"fromAddress": "a@example.com", "toAddress": "b@example.com", "subject": "s", "body": "b"}
    with pytest.raises(requests.ConnectionError):
        lt.post("/api/email", json=body)
    assert len(sandbox.legitmailer_sent()) == 1


def test_faults_listed_and_cleared(sandbox: SandboxServer, lm: Api) -> None:
    fault = sandbox.fault("legallymail", "GET", "/api/info", status=500, count=2)
    lm.get("/api/info")
    listed = sandbox.control("GET", "/faults")["faults"]
    assert [(f["id"], f["fired"], f["count"]) for f in listed] == [(fault["id"], 1, 2)]
    sandbox.clear_faults()
    assert sandbox.control("GET", "/faults")["faults"] == []
    assert lm.get("/api/info").status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"api": "other", "path": "/api/send", "status": 500},
        {"api": "legallymail", "path": "api/send", "status": 500},
        {"api": "legallymail", "path": "/api/send"},
        {"api": "legallymail", "path": "/api/send", "status": 200},
        {"api": "legallymail", "path": "/api/send", "status": 500, "drop_response": True},
        {"api": "legallymail", "path": "/api/send", "status": 500, "ratio": 2},
    ],
)
def test_invalid_fault_specs_are_refused(sandbox: SandboxServer, spec: dict[str, object]) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json=spec, timeout=5)
    assert response.status_code == 400
