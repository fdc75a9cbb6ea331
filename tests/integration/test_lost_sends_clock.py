"""A lost send is found against a sandbox whose clock runs faster than ours (``--speed 60``).

The look-up reads creation times on the server's clock; "created after the attempt began" must convert the
attempt's start at the server's speed, not with the offset measured at the look-up (which has grown by then).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_legallymail.delivery.lost_sends import find_email, find_signature
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer

SPEED = 60.0


@pytest.fixture(scope="module")
def fast_server() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(speed=SPEED, rate_limit=0)) as server:
        yield server


@pytest.fixture
def hook(fast_server: SandboxServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> LegallyMailHook:
    fast_server.reset()
    for name, value in fast_server.connection_env(requests_per_minute=0).items():  # carries sandbox_speed=60
        monkeypatch.setenv(name, value)
    hook = LegallyMailHook()
    hook.list_signatures()  # an earlier answer: the client knows the server's clock, as in a real try
    return hook


def test_a_signature_sent_a_while_ago_on_a_fast_sandbox_is_found(hook: LegallyMailHook, tmp_path: Path) -> None:
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(render_pdf("Contract", ["ACME and Ana"]))
    began = datetime.now(timezone.utc)
    sent = hook.request_signature(str(pdf), None, [{"name": "Ana", "email": "ana@example.com"}])
    time.sleep(1.5)  # 90 sandbox seconds: the retry looks it up later, as after a settle wait
    request = {"document_name": sent.document_name, "signer_emails": ["ana@example.com"]}
    found = find_signature(hook, request, began)
    assert found.summary is not None and found.summary["uuid"] == sent.uuid


def test_an_email_sent_before_the_attempt_began_is_not_taken_for_it(hook: LegallyMailHook) -> None:
    hook.send_email(recipients="ana@example.com", subject="Notice", html="<p>x</p>")
    time.sleep(2.0)  # 120 sandbox seconds, more than the look-up's tolerance for transit (1 s, 60 at this speed)
    began = datetime.now(timezone.utc)
    time.sleep(0.5)
    found = find_email(hook, {"recipients": ["ana@example.com"], "subject": "Notice"}, began)
    assert found.summary is None and found.covered
    hook.send_email(recipients="ana@example.com", subject="Notice", html="<p>x</p>")
    time.sleep(1.0)
    again = find_email(hook, {"recipients": ["ana@example.com"], "subject": "Notice"}, began)
    assert again.summary is not None
