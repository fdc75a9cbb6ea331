"""A local emulator of the LegallyMail and Legitmailer APIs (FastAPI + uvicorn), for demos, CI and tests.

Start it with the ``legallymail-sandbox`` console script, ``SandboxServer`` (``sandbox.server``) or the
pytest fixtures of ``sandbox.pytest_plugin``. Nothing in the hooks or operators imports this package.
"""

from __future__ import annotations

from airflow_provider_legallymail.sandbox.config import SandboxConfig

__all__ = ["SandboxConfig"]
