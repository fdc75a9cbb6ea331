"""Integration setup: the hooks talk to a real sandbox over HTTP through ``AIRFLOW_CONN_*`` env vars.

The server runs with time frozen (tests advance it) and no rate limit unless a test sets one. Retry
waits do not sleep: they are recorded, and passed on to the sandbox's rate-limit window as elapsed time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.pdf import render_pdf
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


DAG_SPEED = 120.0
"""The sandbox's and the poller's speed for DAG runs that wait: a read (30 sandbox seconds) arrives in a quarter of
a second."""


@pytest.fixture
def sped_up(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """The sandbox and the shared poller's clock at ``DAG_SPEED``, so that waits in DAG runs end in seconds."""
    from airflow_provider_legallymail.waiting import poller

    monkeypatch.setattr(poller, "DEFAULT_CLOCK", poller.sped_up(DAG_SPEED))
    sandbox.set_speed(DAG_SPEED)
    return sandbox


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """A one-page contract PDF to sign."""
    path = tmp_path / "contract.pdf"
    path.write_bytes(render_pdf("Contract", ["Sign here"]))
    return path
