"""Pytest fixtures: a sandbox server for the session, reset before each test that asks for it.

Installing ``legallymail-sandbox`` enables it: pytest loads it through the distribution's ``pytest11`` entry
point (with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` set, pass ``-p legallymail_sandbox``). The fixtures do nothing
until a test asks for one, and importing the plugin loads neither Airflow nor the server.

A test that asks for ``legallymail_sandbox`` gets a reset sandbox and, for its duration, the two default
Airflow connections pointing at it (``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT``, ``AIRFLOW_CONN_LEGITMAILER_DEFAULT``),
so ``LegallyMailHook()`` and ``LegitmailerHook()`` reach it; the environment is restored afterwards.
Override ``legallymail_sandbox_config`` to start the server with other settings, and
``legallymail_sandbox_connection_extras`` to give the connections extras (e.g. ``{"requests_per_minute": 0}``
to lift the hooks' client-side budget of 10 LegallyMail requests a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def legallymail_sandbox_config() -> SandboxConfig:
    """The config the session's sandbox starts with (and every reset returns to)."""
    return SandboxConfig()


@pytest.fixture(scope="session")
def legallymail_sandbox_connection_extras() -> dict[str, Any]:
    """Extras of the two connections ``legallymail_sandbox`` sets (see ``SandboxServer.connection_env``)."""
    return {}


@pytest.fixture(scope="session")
def legallymail_sandbox_server(legallymail_sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    """One sandbox server for the whole session, on a free port of 127.0.0.1."""
    with SandboxServer(legallymail_sandbox_config) as server:
        yield server


@pytest.fixture
def legallymail_sandbox(
    legallymail_sandbox_server: SandboxServer,
    legallymail_sandbox_connection_extras: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> SandboxServer:
    """The session's sandbox, reset to its start config (state, credits, faults, log, clock), with the default
    connections pointing at it until the test ends."""
    legallymail_sandbox_server.reset()
    for name, value in legallymail_sandbox_server.connection_env(**legallymail_sandbox_connection_extras).items():
        monkeypatch.setenv(name, value)
    return legallymail_sandbox_server
