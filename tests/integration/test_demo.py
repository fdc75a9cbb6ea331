"""The demo tour runs end to end against a sandbox (what ``make demo`` shows)."""

from __future__ import annotations

import pytest

from demo.tour import run_tour
from legallymail_sandbox.server import SandboxServer
from tests.integration.conftest import Connect


def test_tour_runs_and_verifies_every_document(sandbox: SandboxServer, connect: Connect) -> None:
    sandbox.set_rate_limit(limit=10, window=60)
    lines: list[str] = []
    run_tour(sandbox, lines.append)
    text = "\n".join(lines)
    assert "certificate read" in text and text.count("verified") == 4  # 2 read certificates, original, acta
    assert "signature request" in text and ": signed at" in text
    assert "certified SMS" in text and "delivered" in text
    assert "contact round-trip" in text
    assert "LegallyMail API requests: 8 (limit 10 per minute per IP), 0 refused with 429" in text


def test_demo_main_prints_a_summary(capsys: pytest.CaptureFixture[str], waits: list[float]) -> None:
    from demo import tour

    assert tour.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("sandbox running at http://127.0.0.1:") and out.rstrip().endswith("sandbox stopped")
