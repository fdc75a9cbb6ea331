"""Pytest fixtures: a sandbox server for the session, reset before each test that asks for it.

Enable with ``pytest_plugins = ["airflow_provider_legallymail.sandbox.pytest_plugin"]`` in a root
``conftest.py``. Override ``legallymail_sandbox_config`` to start the server with other settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_legallymail.sandbox.config import SandboxConfig
from airflow_provider_legallymail.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def legallymail_sandbox_config() -> SandboxConfig:
    """The config the session's sandbox starts with (and every reset returns to)."""
    return SandboxConfig()


@pytest.fixture(scope="session")
def legallymail_sandbox_server(legallymail_sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    """One sandbox server for the whole session, on a free port of 127.0.0.1."""
    with SandboxServer(legallymail_sandbox_config) as server:
        yield server


@pytest.fixture
def legallymail_sandbox(legallymail_sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset to its start config (state, credits, faults, log, clock)."""
    legallymail_sandbox_server.reset()
    return legallymail_sandbox_server
