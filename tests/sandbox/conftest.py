"""The sandbox suite's server: time frozen (speed 0, tests advance it) and no rate limit unless a test sets one."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail.sandbox import pytest_plugin
from airflow_provider_legallymail.sandbox.config import SandboxConfig
from airflow_provider_legallymail.sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_api, lt_api

# The plugin's fixtures, used here with the config below.
legallymail_sandbox_server = pytest_plugin.legallymail_sandbox_server
legallymail_sandbox = pytest_plugin.legallymail_sandbox


@pytest.fixture(scope="session")
def legallymail_sandbox_config() -> SandboxConfig:
    return SandboxConfig(speed=0.0, rate_limit=0)


@pytest.fixture
def sandbox(legallymail_sandbox: SandboxServer) -> SandboxServer:
    return legallymail_sandbox


@pytest.fixture
def lm(sandbox: SandboxServer) -> Api:
    return lm_api(sandbox)


@pytest.fixture
def lt(sandbox: SandboxServer) -> Api:
    return lt_api(sandbox)
