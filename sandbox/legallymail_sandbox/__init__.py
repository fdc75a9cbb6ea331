"""A local emulator of the LegallyMail and Legitmailer APIs (FastAPI + uvicorn), for demos, CI and tests.

The distribution ``legallymail-sandbox``, apart from the provider (``airflow-provider-legallymail``), whose
shared vocabulary (statuses) it uses and nothing else. Start it with the ``legallymail-sandbox`` console
script, ``SandboxServer`` (``legallymail_sandbox.server``) or the pytest fixtures of
``legallymail_sandbox.pytest_plugin`` (loaded by pytest through the ``pytest11`` entry point). Nothing in the
provider imports this package.
"""

from __future__ import annotations

from legallymail_sandbox.config import SandboxConfig

__version__ = "0.1.0"
__all__ = ["SandboxConfig"]
