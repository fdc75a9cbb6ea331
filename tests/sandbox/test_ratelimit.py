"""LegallyMail's per-IP rate limit: 429 with Retry-After, configurable, only /legallymail/api/* counted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_error


def test_limit_answers_429_with_retry_after(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=3, window=60)
    assert [lm.get("/api/info").status_code for _ in range(3)] == [200, 200, 200]
    response = lm.get("/api/info")
    assert "rate limit" in lm_error(response, 429).lower()
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_refused_requests_do_not_count_and_a_slot_frees_after_the_window(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=2, window=60)
    lm.get("/api/info")
    lm.get("/api/info")
    for _ in range(5):
        assert lm.get("/api/info").status_code == 429
    sandbox.elapse_rate_window(60)
    assert lm.get("/api/info").status_code == 200
    assert lm.get("/api/info").status_code == 200
    assert lm.get("/api/info").status_code == 429


def test_every_legallymail_api_request_counts_even_errors(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=2, window=60)
    requests.get(f"{sandbox.legallymail_url}/api/info", timeout=5)  # 401, still counted
    lm.get("/api/nowhere")  # 404, still counted
    assert lm.get("/api/info").status_code == 429


def test_downloads_legitmailer_and_control_are_not_limited(sandbox: SandboxServer, lm: Api, lt: Api) -> None:
    sandbox.set_rate_limit(limit=1, window=60)
    lm.get("/api/info")
    for _ in range(3):
        assert lm.get("/emails/download-certificate?id=cm_x&status=read").status_code == 404
        assert lt.get("/api/template/list").status_code == 200
        sandbox.clock()
    assert lm.get("/api/info").status_code == 429


def test_limit_zero_disables_it(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=0)
    assert {lm.get("/api/info").status_code for _ in range(15)} == {200}


def test_default_limit_is_ten_per_minute_and_reset_restores_the_start_config(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=10, window=60)
    assert [lm.get("/api/info").status_code for _ in range(11)] == [200] * 10 + [429]
    sandbox.reset()
    assert sandbox.control("GET", "/rate-limit") == {"limit": 0, "window": 60.0}
    assert lm.get("/api/info").status_code == 200


class _FromAddress(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def test_the_limit_is_per_client_ip(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_rate_limit(limit=1, window=60)
    assert lm.get("/api/info").status_code == 200
    assert lm.get("/api/info").status_code == 429
    other = requests.Session()
    other.mount("http://", _FromAddress("127.0.0.2"))
    headers = {"Authorization": f"Bearer {sandbox.legallymail_token}"}
    assert other.get(f"{sandbox.legallymail_url}/api/info", headers=headers, timeout=5).status_code == 200
    assert [r["client_ip"] for r in sandbox.received(path="/api/info")] == ["127.0.0.1", "127.0.0.1", "127.0.0.2"]


def test_a_slow_request_takes_its_slot_when_it_arrives(sandbox: SandboxServer, lm: Api) -> None:
    """A request held by a latency fault is admitted on arrival: a client that dies while waiting for the
    answer has still sent it, and a request arriving meanwhile is the one refused."""
    sandbox.set_rate_limit(limit=1, window=60)
    sandbox.fault("legallymail", "POST", "/api/sms/send", latency=1.0, count=1)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(lm.post, "/api/sms/send", json={"phone": "+34600000001", "message": "m"})
        while not sandbox.received(api="legallymail", method="POST", path="/api/sms/send"):
            time.sleep(0.01)
        assert lm.get("/api/info").status_code == 429
        assert held.result().status_code == 200
