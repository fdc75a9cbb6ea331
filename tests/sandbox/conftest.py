"""The sandbox suite's server: time frozen (speed 0, tests advance it) and no rate limit unless a test sets one."""

from __future__ import annotations

import pytest

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_api, lt_api


@pytest.fixture
def lm(sandbox: SandboxServer) -> Api:
    return lm_api(sandbox)


@pytest.fixture
def lt(sandbox: SandboxServer) -> Api:
    return lt_api(sandbox)
