"""``SandboxServer`` start-up on a busy host: a first answer slower than the probe's timeout is not a failure."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer


def test_a_slow_first_answer_is_waited_for_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    server = SandboxServer(SandboxConfig(speed=0))
    real_get = server._session.get
    probes: list[str] = []

    def slow_once(url: str, **kwargs: Any) -> requests.Response:
        probes.append(url)
        if len(probes) == 1:
            raise requests.ReadTimeout("Read timed out. (read timeout=1)")
        return real_get(url, **kwargs)

    monkeypatch.setattr(server._session, "get", slow_once)
    with server:
        assert server.clock()["speed"] == 0
    assert len(probes) >= 2
