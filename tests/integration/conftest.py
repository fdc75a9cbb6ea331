"""Integration setup: the hooks talk to a real sandbox over HTTP through ``AIRFLOW_CONN_*`` env vars.

The server runs with time frozen (tests advance it) and no rate limit unless a test sets one. Retry
waits do not sleep: they are recorded, and passed on to the sandbox's rate-limit window as elapsed time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer

Connect = Callable[..., None]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> list[float]:
    from airflow_provider_legallymail.client import transport

    recorded: list[float] = []

    def pause(seconds: float) -> None:
        recorded.append(seconds)
        sandbox.elapse_rate_window(seconds)

    monkeypatch.setattr(transport, "pause", pause)
    return recorded


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, waits: list[float]) -> Connect:
    """Point both default connections at the sandbox; call again with extras (or a token) to change them."""

    def apply(token: str | None = None, **extras: Any) -> None:
        extras.setdefault("requests_per_minute", 0)
        for name, value in sandbox.connection_env(**extras).items():
            if token is not None:
                conn = json.loads(value)
                conn["password"] = token
                value = json.dumps(conn)
            monkeypatch.setenv(name, value)

    apply()
    return apply


@pytest.fixture
def lm_hook(connect: Connect) -> LegallyMailHook:
    return LegallyMailHook()


@pytest.fixture
def lt_hook(connect: Connect) -> LegitmailerHook:
    return LegitmailerHook()
